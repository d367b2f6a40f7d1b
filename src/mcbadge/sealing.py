"""Secrets this service must read back later, sealed at rest: another host's OAuth client secret and tokens
(``obpush``), webhook signing secrets (``events``).

A secret is sealed with AES-256-GCM under ``Keystore.sealing_key(purpose)``, derived from the passphrase that
guards the signing keys (so there is nothing more to keep), and bound to its row's id as associated data: a
sealed value copied onto another row does not open there. A leaked database then gives neither the tokens nor
the means to forge a webhook an LMS would trust. What was sealed under one passphrase does not open under
another (:class:`Unsealable`): the owner connects or subscribes again.

Stored as base64 of nonce (12 bytes) + ciphertext + tag (16 bytes); the standard alphabet has no ``_``, so a
value sealed here is never mistaken for a ``whsec_`` secret an older version stored in plain text.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .keystore import Keystore

__all__ = ["Unsealable", "seal", "unseal"]

_NONCE_BYTES = 12


class Unsealable(Exception):
    """A sealed value does not open: sealed under another passphrase, for another row, or damaged."""


def seal(keystore: Keystore, purpose: str, row_id: uuid.UUID, secret: str) -> str:
    """``secret`` sealed for the row ``row_id`` (see the module docstring)."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = AESGCM(keystore.sealing_key(purpose)).encrypt(nonce, secret.encode(), row_id.bytes)
    return base64.b64encode(nonce + sealed).decode("ascii")


def unseal(keystore: Keystore, purpose: str, row_id: uuid.UUID, sealed: str) -> str:
    """The secret :func:`seal` sealed for ``row_id``; :class:`Unsealable` when it does not open."""
    try:
        raw = base64.b64decode(sealed, validate=True)
        return AESGCM(keystore.sealing_key(purpose)).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:],
                                                             row_id.bytes).decode()
    except (binascii.Error, InvalidTag, ValueError) as exc:
        raise Unsealable(f"the sealed value does not open ({type(exc).__name__})") from None
