"""Keys: Ed25519 key pairs, public keys and their Multikey and JWK encodings, and the Signer interface.

Verification keys are Ed25519 and P-256 (:class:`PublicKey`, read from a Multikey or a JWK) and RSA
(:class:`RsaPublicKey`, verify-only, read from a JWK): whatever a DID document's verification method may carry.

A private key lives inside an ``Ed25519KeyPair`` and never leaves it in clear: its ``repr`` is redacted,
it refuses pickling and JSON, and the only way out is ``export_private_multibase()`` which the keystore
calls to write it encrypted to disk. Everything that signs takes a ``Signer``, so a KMS or HSM can stand in.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol, runtime_checkable

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from .errors import KeyFormatError

# Multicodec prefixes (unsigned varint of the codec code), from the multicodec table.
ED25519_PUB_PREFIX = b"\xed\x01"
ED25519_PRIV_PREFIX = b"\x80\x26"
P256_PUB_PREFIX = b"\x80\x24"


def multibase_b58_encode(data: bytes) -> str:
    """Multibase base58btc: ``z`` followed by Bitcoin-alphabet base58."""
    return "z" + base58.b58encode(data).decode("ascii")


def multibase_b58_decode(value: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("z"):
        raise KeyFormatError("expected a multibase base58btc value starting with 'z'")
    if len(value) > 128:  # keys and signatures are far shorter: not remembered, never a cache filler
        return _b58_decode(value)
    return _b58_decode_short(value)


def _b58_decode(value: str) -> bytes:
    try:
        return base58.b58decode(value[1:])
    except ValueError as exc:
        raise KeyFormatError(f"not valid base58btc: {exc}") from None


# The same few keys and status-list signatures are decoded on every verification, and pure-Python base58
# is slow next to everything else on that path; results are immutable bytes.
_b58_decode_short = functools.lru_cache(maxsize=256)(_b58_decode)


@dataclass(frozen=True)
class PublicKey:
    """A verification key: its algorithm family and raw public bytes."""

    kind: str  # "Ed25519" or "P-256"
    raw: bytes

    @property
    def multibase(self) -> str:
        prefix = ED25519_PUB_PREFIX if self.kind == "Ed25519" else P256_PUB_PREFIX
        return multibase_b58_encode(prefix + self.raw)

    def verify(self, signature: bytes, data: bytes) -> bool:
        """True when ``signature`` is valid for ``data``; never raises for a bad signature."""
        try:
            if self.kind == "Ed25519":
                Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, data)
                return True
            from cryptography.hazmat.primitives.asymmetric.utils import (
                encode_dss_signature,
            )

            if len(signature) != 64:
                return False
            der = encode_dss_signature(
                int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            )
            key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), self.raw)
            key.verify(der, data, ec.ECDSA(hashes.SHA256()))
            return True
        except (InvalidSignature, ValueError):
            return False

    def to_jwk(self) -> dict[str, str]:
        """The public key as a JWK (RFC 8037 OKP for Ed25519, EC for P-256)."""
        from jwcrypto.common import base64url_encode

        if self.kind == "Ed25519":
            return {"kty": "OKP", "crv": "Ed25519", "x": base64url_encode(self.raw)}
        key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), self.raw)
        nums = key.public_numbers()
        return {
            "kty": "EC",
            "crv": "P-256",
            "x": base64url_encode(nums.x.to_bytes(32, "big")),
            "y": base64url_encode(nums.y.to_bytes(32, "big")),
        }


def decode_multikey(public_key_multibase: str) -> PublicKey:
    """Decode a Multikey ``publicKeyMultibase`` (``z6Mk…`` Ed25519, ``zDn…`` P-256)."""
    raw = multibase_b58_decode(public_key_multibase)
    if raw.startswith(ED25519_PUB_PREFIX) and len(raw) == 34:
        return PublicKey("Ed25519", raw[2:])
    if raw.startswith(P256_PUB_PREFIX) and len(raw) == 35:
        try:
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw[2:])
        except ValueError:
            raise KeyFormatError("P-256 Multikey is not a point on the curve") from None
        return PublicKey("P-256", raw[2:])
    raise KeyFormatError("unsupported Multikey: expected an Ed25519 or P-256 public key")


# --------------------------------------------------------------------------------------------------
# Keys read from JWKs, and RSA (verify-only)
# --------------------------------------------------------------------------------------------------


RSA_MIN_BITS = 2048
"""Smallest RSA modulus :func:`public_key_from_jwk` accepts: shorter keys are forgeable (NIST SP 800-131A)."""


@dataclass(frozen=True)
class RsaPublicKey:
    """An RSA verification key read from a ``publicKeyJwk`` (``kty: RSA``).

    Verify-only: mcbadge never signs with RSA, but OB 3.0 names RS256 as the VC-JWT baseline, so
    credentials from other issuers may carry it. It mirrors the parts of :class:`PublicKey` a
    verifier uses (``kind``, ``verify``, ``to_jwk``) and deliberately has no ``multibase``: there is
    no RSA Multikey, so Data Integrity code that expects one fails loudly instead of misencoding.
    """

    n: int
    e: int

    @property
    def kind(self) -> str:
        return "RSA"

    def verify(self, signature: bytes, data: bytes) -> bool:
        """True when ``signature`` is a valid RSASSA-PKCS1-v1_5 SHA-256 (RS256) signature of ``data``."""
        key = rsa.RSAPublicNumbers(self.e, self.n).public_key()
        try:
            key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            return True
        except (InvalidSignature, ValueError):
            return False

    def to_jwk(self) -> dict[str, str]:
        """The public key as an RFC 7518 RSA JWK (``n``, ``e`` only)."""
        from jwcrypto.common import base64url_encode

        return {"kty": "RSA", "n": base64url_encode(_int_bytes(self.n)), "e": base64url_encode(_int_bytes(self.e))}


VerificationKey = PublicKey | RsaPublicKey
"""Any key a verification method can carry: Ed25519 / P-256 (:class:`PublicKey`) or RSA (verify-only)."""


def _int_bytes(value: int) -> bytes:
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


def _b64url_int(value: Any, what: str) -> int:
    return int.from_bytes(_b64url_bytes(value, what), "big")


def _b64url_bytes(value: Any, what: str) -> bytes:
    from jwcrypto.common import base64url_decode

    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_-]+", value):
        raise KeyFormatError(f"JWK member {what!r} is not base64url")
    try:
        return base64url_decode(value)
    except ValueError:
        raise KeyFormatError(f"JWK member {what!r} is not base64url") from None


_PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
# Keyed by (kty, crv) as the JWK gives them, which may be anything JSON: a lookup simply misses.
_JWK_ALG_FOR_KTY: dict[tuple[object, object], str] = {
    ("OKP", "Ed25519"): "EdDSA",
    ("EC", "P-256"): "ES256",
    ("RSA", None): "RS256",
}


def public_key_from_jwk(jwk: Mapping[str, Any]) -> VerificationKey:
    """Decode a public JWK: OKP/Ed25519, EC/P-256 or RSA (>= 2048 bits). Anything else: KeyFormatError.

    A JWK that carries private members is refused: it means the publisher leaked its key, and a
    verifier should not trust signatures from a key anyone may now hold. A JWK whose ``alg``,
    ``use`` or ``key_ops`` rule out verifying with our one algorithm for its type is refused too.
    """
    if not isinstance(jwk, Mapping):
        raise KeyFormatError("publicKeyJwk must be a JSON object")
    if _PRIVATE_JWK_MEMBERS & set(jwk):
        raise KeyFormatError("publicKeyJwk contains private key material")
    kty, crv = jwk.get("kty"), jwk.get("crv")
    expected_alg = _JWK_ALG_FOR_KTY.get((kty, crv if kty != "RSA" else None))
    if expected_alg is None:
        raise KeyFormatError(f"unsupported JWK key type kty={kty!r} crv={crv!r}")
    if "alg" in jwk and jwk["alg"] != expected_alg:
        raise KeyFormatError(f"JWK alg {jwk['alg']!r} does not match its key type (expected {expected_alg})")
    if "use" in jwk and jwk["use"] != "sig":
        raise KeyFormatError("JWK use is not 'sig'")
    if "key_ops" in jwk and (not isinstance(jwk["key_ops"], list) or "verify" not in jwk["key_ops"]):
        raise KeyFormatError("JWK key_ops does not allow 'verify'")
    if kty == "OKP":
        raw = _b64url_bytes(jwk.get("x"), "x")
        if len(raw) != 32:
            raise KeyFormatError("an Ed25519 JWK x is 32 bytes")
        return PublicKey("Ed25519", raw)
    if kty == "EC":
        x, y = _b64url_bytes(jwk.get("x"), "x"), _b64url_bytes(jwk.get("y"), "y")
        if len(x) != 32 or len(y) != 32:
            raise KeyFormatError("P-256 JWK coordinates are 32 bytes each")
        try:
            point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + x + y)
        except ValueError:
            raise KeyFormatError("P-256 JWK is not a point on the curve") from None
        # Store the compressed point, as decode_multikey does, so equal keys compare equal.
        return PublicKey(
            "P-256", point.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
        )
    n, e = _b64url_int(jwk.get("n"), "n"), _b64url_int(jwk.get("e"), "e")
    if n.bit_length() < RSA_MIN_BITS:
        raise KeyFormatError(f"RSA keys shorter than {RSA_MIN_BITS} bits are refused")
    if e < 3 or e % 2 == 0:
        raise KeyFormatError("RSA public exponent is invalid")
    return RsaPublicKey(n=n, e=e)


# --------------------------------------------------------------------------------------------------
# Signing
# --------------------------------------------------------------------------------------------------


@runtime_checkable
class Signer(Protocol):
    """Something that signs with one key: a local key pair, or a KMS/HSM adapter."""

    @property
    def verification_method(self) -> str:
        """The DID URL of the key (``did:…#…``) that verifiers resolve."""
        ...

    @property
    def algorithm(self) -> str:
        """The JOSE name of the one algorithm this key signs with (``EdDSA``, ``ES256``)."""
        ...

    @property
    def public_key(self) -> PublicKey: ...

    def sign(self, data: bytes) -> bytes: ...


class Ed25519KeyPair:
    """An Ed25519 key pair. The private half never appears in ``repr``, pickles or JSON."""

    __slots__ = ("_private", "_public", "_controller", "_key_id")

    def __init__(self, private: Ed25519PrivateKey, controller: str | None = None, key_id: str | None = None):
        self._private = private
        self._public = PublicKey(
            "Ed25519",
            private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw),
        )
        self._controller = controller
        self._key_id = key_id

    @classmethod
    def generate(cls, controller: str | None = None) -> Ed25519KeyPair:
        return cls(Ed25519PrivateKey.generate(), controller)

    @classmethod
    def from_seed(cls, seed: bytes, controller: str | None = None) -> Ed25519KeyPair:
        if len(seed) != 32:
            raise KeyFormatError("an Ed25519 seed is 32 bytes")
        return cls(Ed25519PrivateKey.from_private_bytes(seed), controller)

    @classmethod
    def from_private_multibase(cls, value: str, controller: str | None = None) -> Ed25519KeyPair:
        """From a Multikey ``secretKeyMultibase``: 0x8026 + 32-byte seed (or seed + public key)."""
        raw = multibase_b58_decode(value)
        if not raw.startswith(ED25519_PRIV_PREFIX) or len(raw) not in (34, 66):
            raise KeyFormatError("not an Ed25519 private Multikey")
        return cls.from_seed(raw[2:34], controller)

    def bound(self, controller: str, key_id: str | None = None) -> Ed25519KeyPair:
        """The same key, controlled by ``controller`` (a DID) with fragment ``key_id`` (default: the Multikey)."""
        return Ed25519KeyPair(self._private, controller, key_id)

    @property
    def public_key(self) -> PublicKey:
        return self._public

    @property
    def public_multibase(self) -> str:
        return self._public.multibase

    @property
    def controller(self) -> str | None:
        return self._controller

    @property
    def verification_method(self) -> str:
        if self._controller is None:
            raise KeyFormatError("the key is not bound to a controller DID")
        if self._controller.startswith("did:key:"):
            return f"{self._controller}#{self._controller[len('did:key:'):]}"
        return f"{self._controller}#{self._key_id or self.public_multibase}"

    @property
    def algorithm(self) -> str:
        return "EdDSA"

    def sign(self, data: bytes) -> bytes:
        return self._private.sign(data)

    def export_private_multibase(self) -> str:
        """The seed as a private Multikey. Only the keystore calls this, to encrypt it at rest."""
        seed = self._private.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        return multibase_b58_encode(ED25519_PRIV_PREFIX + seed)

    def private_key_object(self) -> Ed25519PrivateKey:
        """The `cryptography` key, for JOSE signing inside this library."""
        return self._private

    def __repr__(self) -> str:
        return f"Ed25519KeyPair(public={self.public_multibase}, controller={self._controller!r}, private=<redacted>)"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:  # noqa: D105 - pickling would write the private key in clear
        raise TypeError("private keys are not picklable; use the keystore")

    def __getstate__(self) -> NoReturn:
        raise TypeError("private keys are not serializable; use the keystore")
