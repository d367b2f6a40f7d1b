"""Issuer signing keys on disk, private halves encrypted at rest.

Layout under ``keys_dir`` (mode 0700 directories, 0600 files)::

    keys/
      .passphrase              development only: the generated passphrase (see mcbadge.config)
      <issuer-slug>/
        key-1.pem              PKCS#8 private key, PEM "ENCRYPTED PRIVATE KEY" (cryptography's
        key-1.pub              BestAvailableEncryption) and its publicKeyMultibase, one line
        key-2.pem / key-2.pub  after a rotation; the highest number is the signing key

Keys are never deleted: a rotation adds a key, and every key stays in the issuer's DID document so
credentials signed with an older key keep verifying. Each file is written once, atomically (a temporary
file linked into place, so two processes starting together cannot both create ``key-1``).

Private keys leave this module only inside :class:`~mcbadge.vc.keys.Ed25519KeyPair` (whose ``repr``
redacts them) and are never logged. The public halves are readable without the passphrase, so a
verifier-only process (``mcbadge verify``) needs no secret.

Errors::

    KeystoreError        a key cannot be read, written or found
    └── WrongPassphrase  the passphrase does not decrypt the key
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from pydantic import SecretStr

from .config import Settings
from .vc.errors import KeyFormatError
from .vc.keys import Ed25519KeyPair, PublicKey, decode_multikey

__all__ = ["KeyEntry", "Keystore", "KeystoreError", "WrongPassphrase", "dev_passphrase", "keystore_from_settings",
           "signing_keystore"]

log = logging.getLogger(__name__)

PASSPHRASE_FILE = ".passphrase"
_SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_KEY_FILE_RE = re.compile(r"^key-([1-9][0-9]{0,5})\.pem$")
_SETTLED_NS = 1_000_000_000


class KeystoreError(Exception):
    """A key cannot be read, written or found (missing passphrase, unreadable file, unknown issuer)."""


class WrongPassphrase(KeystoreError):
    """The passphrase does not decrypt the issuer's private key."""


@dataclass(frozen=True)
class KeyEntry:
    """One key of an issuer: its DID URL fragment (``key-3``) and public key. No private material."""

    key_id: str
    number: int
    public_key: PublicKey


def _check_slug(slug: str) -> str:
    # The slug becomes a directory name: no separators, no dots, nothing that could climb out of keys_dir.
    if not isinstance(slug, str) or not _SLUG_RE.match(slug):
        raise KeystoreError(f"invalid issuer slug {slug!r}: lower-case letters, digits and '-' only")
    return slug


def _write_new_file(path: Path, data: bytes) -> bool:
    """Create ``path`` with ``data``, mode 0600, atomically. False (and nothing written) if it exists."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")  # mkstemp creates the file 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)  # fails if path exists: the first writer wins, nobody overwrites
        except FileExistsError:
            return False
        except OSError:
            # A filesystem without hard links (some container volumes): exclusive create instead.
            try:
                fd2 = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return False
            with os.fdopen(fd2, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        return True
    finally:
        os.unlink(tmp)


def _make_private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)


def dev_passphrase(keys_dir: Path) -> bytes:
    """The development passphrase in ``<keys_dir>/.passphrase``, generated on first use (0600).

    Logs a warning each time: a passphrase stored beside the keys is for development only; production
    sets ``MCBADGE_KEY_PASSPHRASE``.
    """
    keys_dir = Path(keys_dir)
    _make_private_dir(keys_dir)
    path = keys_dir / PASSPHRASE_FILE
    if not path.exists():
        _write_new_file(path, secrets.token_urlsafe(32).encode("ascii") + b"\n")
    log.warning(
        "MCBADGE_KEY_PASSPHRASE is not set: using the development passphrase in %s. "
        "Production must set MCBADGE_KEY_PASSPHRASE and keep it away from the keys.",
        path,
    )
    try:
        passphrase = path.read_bytes().strip()
    except OSError as exc:
        raise KeystoreError(f"cannot read {path}: {exc.strerror}") from None
    if not passphrase:
        raise KeystoreError(f"{path} is empty")
    return passphrase


class Keystore:
    """Ed25519 keys of each issuer, under ``keys_dir/<slug>/``.

    ``passphrase`` encrypts and decrypts private keys: bytes, a callable returning bytes (asked once,
    when a private key is first needed), or ``None`` for a public-keys-only keystore.
    """

    def __init__(self, keys_dir: Path | str, passphrase: bytes | str | Callable[[], bytes] | None) -> None:
        self._dir = Path(keys_dir)
        if isinstance(passphrase, str):
            passphrase = passphrase.encode("utf-8")
        self._passphrase_source = passphrase
        self._passphrase: bytes | None = passphrase if isinstance(passphrase, bytes) else None
        self._cache: dict[tuple[str, int], Ed25519PrivateKey] = {}
        self._lock = threading.Lock()
        self._listings: dict[str, tuple[int, tuple[str, ...]]] = {}
        self._sealing_keys: dict[str, bytes] = {}

    def __repr__(self) -> str:
        return f"Keystore({str(self._dir)!r}, passphrase=<redacted>)"

    @property
    def keys_dir(self) -> Path:
        return self._dir

    # -- public side -------------------------------------------------------------------------------

    def issuers(self) -> list[str]:
        """The slugs of the issuers that have at least one key."""
        if not self._dir.is_dir():
            return []
        return sorted(p.name for p in self._dir.iterdir() if _SLUG_RE.match(p.name) and self._numbers(p.name))

    def entries(self, issuer_slug: str) -> list[KeyEntry]:
        """Every key the issuer ever had, oldest first; the last one is the current signing key."""
        out = []
        for number in self._numbers(issuer_slug):
            out.append(KeyEntry(f"key-{number}", number, self._public(issuer_slug, number)))
        return out

    def key_ids(self, issuer_slug: str) -> tuple[str, ...]:
        """The issuer's key ids (``key-1``, …), oldest first, from the directory listing alone (cheap).

        Every verification asks for them (is the issuer's DID document still current?), so the listing is
        remembered with the directory's modification time and redone only when that moves: one ``stat``
        instead of a listing. A rotation, in this process or another (``mcbadge rotate-key``), links a new
        file into the directory, which updates its modification time. Timestamps are coarse (a few ms), so
        a listing made within a second of the last change is not trusted to be the final one (as git does
        with "racily clean" files): it is redone until the directory has been still for a second.
        """
        try:
            directory = self._issuer_dir(issuer_slug)
            stamp = directory.stat().st_mtime_ns
        except (KeystoreError, OSError):
            return ()
        cached = self._listings.get(issuer_slug)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        ids = tuple(f"key-{n}" for n in self._numbers(issuer_slug))
        if time.time_ns() - stamp > _SETTLED_NS:
            self._listings[issuer_slug] = (stamp, ids)
        return ids

    def public_keys(self, issuer_slug: str) -> list[PublicKey]:
        """The issuer's public keys, oldest first (the last is the signing key); [] when it has none."""
        return [entry.public_key for entry in self.entries(issuer_slug)]

    # -- private side ------------------------------------------------------------------------------

    def load_or_create(self, issuer_slug: str, controller_did: str) -> Ed25519KeyPair:
        """The issuer's signing key bound to ``controller_did`` (fragment ``key-N``); created if none."""
        numbers = self._numbers(issuer_slug)
        if not numbers:
            with self._lock:
                used_before = any(slug == issuer_slug for slug, _ in self._cache)
            if used_before:
                # This process has signed with the issuer's keys: their files are gone (a key volume that came
                # unmounted), not never made. A new key-1 would sign credentials that no published DID document
                # can verify once the volume is back; refuse until it is.
                raise KeystoreError(f"the keys of issuer {issuer_slug} are missing from the key directory")
            numbers = [self._create(issuer_slug, 1)]
        number = numbers[-1]
        return Ed25519KeyPair(self._private(issuer_slug, number), controller_did, f"key-{number}")

    def rotate(self, issuer_slug: str) -> KeyEntry:
        """Make a new signing key. Older keys stay listed, so credentials they signed still verify."""
        numbers = self._numbers(issuer_slug)
        number = self._create(issuer_slug, (numbers[-1] + 1) if numbers else 1)
        return KeyEntry(f"key-{number}", number, self._public(issuer_slug, number))

    # -- internals ---------------------------------------------------------------------------------

    def _issuer_dir(self, issuer_slug: str) -> Path:
        return self._dir / _check_slug(issuer_slug)

    def _numbers(self, issuer_slug: str) -> list[int]:
        directory = self._issuer_dir(issuer_slug)
        if not directory.is_dir():
            return []
        return sorted(int(m.group(1)) for p in directory.iterdir() if (m := _KEY_FILE_RE.match(p.name)))

    def sealing_key(self, purpose: str) -> bytes:
        """A 32-byte key for sealing secrets this service must read back later (another host's OAuth tokens),
        derived from the passphrase that guards the signing keys, so there is nothing more to keep: scrypt
        (memory-hard, like the keys' own encryption: a leaked database does not make the passphrase cheap to
        guess), ``purpose`` as its salt, computed once per purpose. A new passphrase makes what was sealed
        with the old one unreadable (the educator connects again)."""
        with self._lock:
            key = self._sealing_keys.get(purpose)
            if key is None:
                key = self._sealing_keys[purpose] = Scrypt(
                    salt=b"mcbadge sealing key: " + purpose.encode(), length=32, n=2**15, r=8, p=1,
                ).derive(self._get_passphrase())
            return key

    def _get_passphrase(self) -> bytes:
        if self._passphrase is None:
            if self._passphrase_source is None:
                raise KeystoreError("this keystore has no passphrase: it can read public keys only")
            assert callable(self._passphrase_source)
            self._passphrase = self._passphrase_source()
        if not self._passphrase:
            raise KeystoreError("the key passphrase is empty")
        return self._passphrase

    def _create(self, issuer_slug: str, first_number: int) -> int:
        """Write a new key with the lowest free number >= ``first_number``; returns its number."""
        directory = self._issuer_dir(issuer_slug)
        _make_private_dir(self._dir)  # first, so that a new keys_dir is 0700 too, not a default-mode parent
        _make_private_dir(directory)
        private = Ed25519PrivateKey.generate()
        pem = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._get_passphrase()),
        )
        public = Ed25519KeyPair(private).public_multibase
        number = first_number
        # Another process may take a number between our listing and our write: then try the next one.
        while not _write_new_file(directory / f"key-{number}.pem", pem):
            number += 1
        _write_new_file(directory / f"key-{number}.pub", public.encode("ascii") + b"\n")
        with self._lock:
            self._cache[(issuer_slug, number)] = private
        log.info("created signing key key-%d for issuer %s (public key %s…)", number, issuer_slug, public[:16])
        return number

    def _private(self, issuer_slug: str, number: int) -> Ed25519PrivateKey:
        with self._lock:
            cached = self._cache.get((issuer_slug, number))
        if cached is not None:
            return cached
        path = self._issuer_dir(issuer_slug) / f"key-{number}.pem"
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise KeystoreError(f"cannot read {path}: {exc.strerror}") from None
        try:
            private = serialization.load_pem_private_key(data, password=self._get_passphrase())
        except ValueError:
            # cryptography says "Bad decrypt. Incorrect password?" for a wrong passphrase, and also for
            # a corrupted file; both mean the key cannot be used with this passphrase.
            raise WrongPassphrase(
                f"cannot decrypt {path}: wrong key passphrase (MCBADGE_KEY_PASSPHRASE) or a damaged key file"
            ) from None
        except TypeError:
            raise KeystoreError(f"{path} is not encrypted; refusing to use an unencrypted private key") from None
        if not isinstance(private, Ed25519PrivateKey):
            raise KeystoreError(f"{path} is not an Ed25519 private key")
        with self._lock:
            self._cache[(issuer_slug, number)] = private
        return private

    def _public(self, issuer_slug: str, number: int) -> PublicKey:
        path = self._issuer_dir(issuer_slug) / f"key-{number}.pub"
        try:
            text = path.read_text("ascii").strip()
        except FileNotFoundError:
            # A crash between writing the .pem and the .pub: recover the public half from the private key.
            public = Ed25519KeyPair(self._private(issuer_slug, number)).public_multibase
            _write_new_file(path, public.encode("ascii") + b"\n")
            return decode_multikey(public)
        except (OSError, UnicodeDecodeError) as exc:
            raise KeystoreError(f"cannot read {path}: {exc}") from None
        try:
            return decode_multikey(text)
        except KeyFormatError as exc:
            raise KeystoreError(f"{path}: {exc}") from None


def keystore_from_settings(settings: Settings, *, need_private: bool = True) -> Keystore:
    """The keystore the settings describe.

    The passphrase is ``settings.key_passphrase``, else the development passphrase (generated on first
    use, with a warning). ``need_private=False`` gives a public-keys-only keystore that never touches
    the passphrase (for verifying).
    """
    if not need_private:
        return Keystore(settings.keys_dir, None)
    return signing_keystore(settings.keys_dir, settings.key_passphrase)


def signing_keystore(keys_dir: Path, passphrase: SecretStr | None) -> Keystore:
    """The keystore under ``keys_dir`` that decrypts with ``passphrase``, else with the development passphrase.

    What :func:`keystore_from_settings` makes; also how a signing worker process (``award_imports``) opens the
    keystore itself from the two settings it is given in memory, so no private key is ever handed around.
    """
    if passphrase is not None:
        return Keystore(keys_dir, passphrase.get_secret_value())
    return Keystore(keys_dir, lambda: dev_passphrase(keys_dir))
