"""Data Integrity proofs: mcbadge signs with ``eddsa-rdfc-2022``; it verifies that and what others issue.

Suites verified (:data:`VERIFIED_SUITES`), all over the same signing input, SHA-256(canonical proof
configuration) ‖ SHA-256(canonical document), both RDFC-1.0, with the signature in ``proofValue`` (multibase
base58btc):

* ``eddsa-rdfc-2022`` (W3C VC Data Integrity EdDSA v1.0): ``DataIntegrityProof``, an Ed25519 key.
* ``ecdsa-rdfc-2019`` (W3C VC Data Integrity ECDSA v1.0): ``DataIntegrityProof``, a P-256 key (Multikey
  ``zDn…``); the signature is ECDSA with SHA-256 over the signing input, IEEE P1363 ``r‖s`` (64 bytes).
  P-384 keys (SHA-384) are not supported and say so.
* ``Ed25519Signature2020`` (W3C CCG, what the Digital Credentials Consortium and early OB 3.0 issuers signed
  VC 1.1 credentials with): the proof ``type`` is the suite and it has no ``cryptosuite``; as in
  jsonld-signatures, the proof configuration takes the proof's own ``@context`` if it has one, else the
  document's. The document must bring the suite's context (https://w3id.org/security/suites/ed25519-2020/v1),
  otherwise its terms are undefined and canonicalization (safe mode) refuses it.

A document with several proofs (a proof set) verifies only if every proof does; each is reported alone
(:class:`ProofCheck`, with its ``suite``), so a caller can say which one failed.

``create_proof``/``sign_credential`` raise for input they must not sign. ``verify_proofs`` never raises
for a bad document: it returns one ``ProofCheck`` per proof, saying what failed in words a person can read.
Resolving the verification method (and checking that the issuer's DID lists it) is the caller's: it passes
a ``resolve_key`` function, so this module does no I/O.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from .canon import Canonicalizer, default_canonicalizer
from .errors import CanonicalizationError, CredentialError, KeyFormatError, ProofError
from .json_values import as_list
from .keys import PublicKey, Signer, multibase_b58_decode, multibase_b58_encode

CRYPTOSUITE = "eddsa-rdfc-2022"
"""The cryptosuite mcbadge signs with."""
ECDSA_RDFC_2019 = "ecdsa-rdfc-2019"
ED25519_SIGNATURE_2020 = "Ed25519Signature2020"
PROOF_TYPE = "DataIntegrityProof"
VERIFIED_SUITES: Mapping[str, str] = {CRYPTOSUITE: "Ed25519", ECDSA_RDFC_2019: "P-256", ED25519_SIGNATURE_2020: "Ed25519"}
"""Each suite verified (the ``cryptosuite`` of a DataIntegrityProof, or a legacy proof ``type``) -> the one key
type it signs with."""
_PROOF_OPTION_KEYS = ("type", "cryptosuite", "created", "expires", "verificationMethod", "proofPurpose",
                      "challenge", "domain", "nonce", "previousProof", "id")
# XML Schema 1.1 dateTimeStamp (the lexical space VC 2.0 requires of validFrom, validUntil and a proof's dates):
# a year of four digits or more (no leading zero beyond four), a time zone no further than 14:00 from UTC, and
# 24:00:00 as the end of a day.
_XSD_DATETIME = re.compile(
    r"^(?P<year>-?(?:[1-9]\d{3,}|0\d{3}))-(?P<month>\d{2})-(?P<day>\d{2})"
    r"T(?P<time>\d{2}:\d{2}:\d{2}(?:\.\d+)?)"
    r"(?P<zone>Z|[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00))$",
    re.ASCII,  # digits are 0-9, not any script's
)
_END_OF_DAY = re.compile(r"^24:00:00(\.0+)?$")


def format_datetime(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, to the second: the form every implementation reads the same way."""
    if value.tzinfo is None:
        raise ValueError("datetimes in credentials must be timezone-aware")
    return value.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(value: Any) -> datetime | None:
    """Parse an XML Schema dateTimeStamp (a dateTime with a time zone); None when it is not one.

    Python's datetime holds the years 1 to 9999; the lexical space has more: a later year is read as the latest
    instant Python can hold, and a year 0 or before as the earliest. Both keep their order with any date a
    verifier compares them with (its own clock, the other end of a validity period)."""
    match = _XSD_DATETIME.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    year, zone = int(match["year"]), match["zone"]
    if not (1 <= year <= 9999):
        # Still a date only if its month and day are (checked in a leap year, which allows every day of the year).
        try:
            datetime(2000, int(match["month"]), int(match["day"]))
        except ValueError:
            return None
        return (datetime.max if year > 9999 else datetime.min).replace(tzinfo=timezone.utc)
    end_of_day = _END_OF_DAY.match(match["time"]) is not None
    time_part = "00:00:00" if end_of_day else match["time"]
    try:
        parsed = datetime.fromisoformat(f"{match['year']}-{match['month']}-{match['day']}T{time_part}"
                                        f"{'+00:00' if zone == 'Z' else zone}")
    except ValueError:  # hours beyond 23, a 31 November, ...
        return None
    try:
        if end_of_day:  # 24:00:00 is the first instant of the next day
            parsed += timedelta(days=1)
        # Every caller may convert it to UTC (to compare, to show, to store): 9999-12-31T23:00:00-14:00 is in
        # year 10000 there, so it is read as the latest instant, as that year is.
        parsed.astimezone(timezone.utc)
    except OverflowError:
        return (datetime.max if year > 1 else datetime.min).replace(tzinfo=timezone.utc)
    return parsed


def _hash_data(document: Mapping[str, Any], proof_config: Mapping[str, Any], canon: Canonicalizer,
               proof_hash: bytes | None = None) -> bytes:
    if proof_hash is None:
        proof_hash = hashlib.sha256(canon.canonicalize(proof_config).encode("utf-8")).digest()
    doc_hash = hashlib.sha256(canon.canonicalize(document).encode("utf-8")).digest()
    return proof_hash + doc_hash


_PROOF_HASHES: dict[tuple[int, str], tuple[Canonicalizer, bytes]] = {}
_PROOF_HASHES_LIMIT = 64


def _signing_proof_hash(config: Mapping[str, Any], canon: Canonicalizer) -> bytes:
    """SHA-256 of the canonical proof configuration of a proof being made, remembered by its JSON: credentials
    signed by one key in the same second share it (a bulk award signs thousands so), and it costs a whole
    canonicalization. Only for signing, whose configuration this module built itself."""
    try:
        key = (id(canon), json.dumps(config, sort_keys=True, ensure_ascii=False))
    except (TypeError, ValueError):  # not JSON: canonicalizing it says so properly
        return hashlib.sha256(canon.canonicalize(config).encode("utf-8")).digest()
    hit = _PROOF_HASHES.get(key)
    if hit is not None and hit[0] is canon:
        return hit[1]
    digest = hashlib.sha256(canon.canonicalize(config).encode("utf-8")).digest()
    if len(_PROOF_HASHES) >= _PROOF_HASHES_LIMIT:
        _PROOF_HASHES.clear()
    _PROOF_HASHES[key] = (canon, digest)
    return digest




def _unsecured(document: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "proof"}


def create_proof(
    document: Mapping[str, Any],
    signer: Signer,
    *,
    proof_purpose: str = "assertionMethod",
    created: datetime | None = None,
    expires: datetime | None = None,
    challenge: str | None = None,
    domain: str | None = None,
    previous_proof: str | None = None,
    proof_id: str | None = None,
    canonicalizer: Canonicalizer | None = None,
) -> dict[str, Any]:
    """Create an ``eddsa-rdfc-2022`` DataIntegrityProof for ``document``.

    The document's existing proofs are not signed (a proof set), except the one named by
    ``previous_proof`` (its ``id``), which this proof then chains onto.

    Raises CanonicalizationError when the document has data the proof would not cover (safe mode),
    ProofError for a signer that is not Ed25519.
    """
    if signer.public_key.kind != "Ed25519":
        raise ProofError("eddsa-rdfc-2022 needs an Ed25519 key")
    if "@context" not in document:
        raise CanonicalizationError("the document has no @context")
    canon = canonicalizer or default_canonicalizer()
    options: dict[str, Any] = {"id": proof_id} if proof_id else {}
    options |= {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": format_datetime(created or datetime.now(timezone.utc)),
        "verificationMethod": signer.verification_method,
        "proofPurpose": proof_purpose,
    }
    if expires is not None:
        options["expires"] = format_datetime(expires)
    if challenge is not None:
        options["challenge"] = challenge
    if domain is not None:
        options["domain"] = domain
    secured = _unsecured(document)
    if previous_proof is not None:
        options["previousProof"] = previous_proof
        earlier = [p for p in as_list(document.get("proof")) if isinstance(p, Mapping) and p.get("id") == previous_proof]
        if not earlier:
            raise ProofError(f"previousProof {previous_proof!r} is not a proof of the document")
        secured["proof"] = earlier[0]
    config = {"@context": document["@context"], **options}
    signature = signer.sign(_hash_data(secured, config, canon, _signing_proof_hash(config, canon)))
    return {**options, "proofValue": multibase_b58_encode(signature)}


def sign_credential(
    credential: Mapping[str, Any],
    signer: Signer,
    *,
    created: datetime | None = None,
    canonicalizer: Canonicalizer | None = None,
    proof_purpose: str = "assertionMethod",
    **proof_options: Any,
) -> dict[str, Any]:
    """Return ``credential`` with an added eddsa-rdfc-2022 proof (appended to any existing proofs: a proof set)."""
    proof = create_proof(
        credential, signer, created=created, canonicalizer=canonicalizer,
        proof_purpose=proof_purpose, **proof_options,
    )
    existing = credential.get("proof")
    signed = dict(credential)
    if existing is None:
        signed["proof"] = proof
    else:
        signed["proof"] = [*(existing if isinstance(existing, list) else [existing]), proof]
    return signed


@dataclass(frozen=True)
class ProofCheck:
    """The outcome of verifying one proof."""

    verified: bool
    verification_method: str | None
    reason: str
    proof: Mapping[str, Any]
    code: str = "proof"  # "proof" for signature/shape problems, "issuer_key" for key-binding problems
    suite: str | None = None  # the suite the proof claims (a cryptosuite, or Ed25519Signature2020), when readable


def proof_suite(proof: Any) -> str | None:
    """The suite a proof claims: its ``cryptosuite`` for a DataIntegrityProof, else its ``type``; unverified."""
    if not isinstance(proof, Mapping):
        return None
    named = proof.get("cryptosuite") if proof.get("type") == PROOF_TYPE else proof.get("type")
    return named if isinstance(named, str) else None


KeyResolver = Callable[[str, str], PublicKey]
"""``resolve_key(verification_method, proof_purpose) -> PublicKey``; raises CredentialError when the
method cannot be resolved or is not authorized for that purpose by its controller."""


def verify_proofs(
    document: Mapping[str, Any],
    resolve_key: KeyResolver,
    *,
    now: datetime,
    expected_purpose: str = "assertionMethod",
    expected_challenge: str | None = None,
    expected_domain: str | None = None,
    canonicalizer: Canonicalizer | None = None,
    signature_cache: MutableMapping[bytes, bool] | None = None,
    document_key: bytes | None = None,
) -> list[ProofCheck]:
    """Verify every proof on ``document``; an empty list means it has no proof. Never raises for bad input.

    ``signature_cache`` (optional) remembers whether a signature is valid for exactly these bytes and this
    public key, so a document verified again and again (an issuer's status list, fetched for every one of
    its credentials) skips canonicalization and the signature check. Everything else — the key's
    resolution and binding, the proof's purpose and dates — is checked every time. ``document_key``: a
    collision-resistant digest of the exact document (its proofs included) that the caller already has; the
    cache is then keyed by it, which proof, and the key, rather than by serializing the document again.
    """
    canon = canonicalizer or default_canonicalizer()
    raw = document.get("proof")
    if raw is None:
        return []
    proofs = raw if isinstance(raw, list) else [raw]
    # A proof's id is a URL (a string); any other value names no proof a previousProof could point at (and a
    # list or an object could not even be looked up).
    by_id = {p["id"]: p for p in proofs if isinstance(p, Mapping) and isinstance(p.get("id"), str) and p["id"]}
    return [
        _verify_one(document, proof, by_id, resolve_key, now, expected_purpose, expected_challenge,
                    expected_domain, canon, signature_cache,
                    None if document_key is None else document_key + b"\x00" + str(index).encode("ascii"))
        for index, proof in enumerate(proofs)
    ]


def _verify_one(
    document: Mapping[str, Any],
    proof: Any,
    proofs_by_id: Mapping[str, Mapping[str, Any]],  # keyed by each proof's id (a string)
    resolve_key: KeyResolver,
    now: datetime,
    expected_purpose: str,
    expected_challenge: str | None,
    expected_domain: str | None,
    canon: Canonicalizer,
    signature_cache: MutableMapping[bytes, bool] | None = None,
    proof_key: bytes | None = None,  # the document's key and which of its proofs this is
) -> ProofCheck:
    suite = proof_suite(proof)

    def fail(reason: str, code: str = "proof") -> ProofCheck:
        vm = proof.get("verificationMethod") if isinstance(proof, Mapping) else None
        return ProofCheck(False, vm if isinstance(vm, str) else None, reason,
                          proof if isinstance(proof, Mapping) else {}, code, suite)

    if not isinstance(proof, Mapping):
        return fail("the proof is not a JSON object")
    if proof.get("type") == PROOF_TYPE:
        if proof.get("cryptosuite") not in (CRYPTOSUITE, ECDSA_RDFC_2019):
            return fail(f"cryptosuite {proof.get('cryptosuite')!r} is not supported "
                        f"(expected {CRYPTOSUITE} or {ECDSA_RDFC_2019})")
    elif proof.get("type") == ED25519_SIGNATURE_2020:
        if "cryptosuite" in proof:
            return fail(f"proof type {ED25519_SIGNATURE_2020} takes no cryptosuite")
    else:
        return fail(f"proof type {proof.get('type')!r} is not supported "
                    f"(expected {PROOF_TYPE} or {ED25519_SIGNATURE_2020})")
    key_kind = VERIFIED_SUITES[str(suite)]
    vm = proof.get("verificationMethod")
    if not isinstance(vm, str) or not vm:
        return fail("the proof names no verificationMethod")
    purpose = proof.get("proofPurpose")
    if purpose != expected_purpose:
        return fail(f"proofPurpose is {purpose!r}, expected {expected_purpose!r}")
    value = proof.get("proofValue")
    if not isinstance(value, str):
        return fail("the proof has no proofValue")
    if "created" in proof:
        created = parse_datetime(proof["created"])
        if created is None:
            return fail(f"proof 'created' {proof['created']!r} is not a valid date-time")
        if created > now.astimezone(timezone.utc).replace(microsecond=0) and (created - now).total_seconds() > 300:
            return fail(f"the proof was created in the future ({proof['created']})")
    if "expires" in proof:
        expires = parse_datetime(proof["expires"])
        if expires is None:
            return fail(f"proof 'expires' {proof['expires']!r} is not a valid date-time")
        if expires < now:
            return fail(f"the proof expired on {proof['expires']}")
    if expected_challenge is not None and proof.get("challenge") != expected_challenge:
        return fail("the proof's challenge does not match the one expected")
    if expected_domain is not None and proof.get("domain") != expected_domain:
        return fail("the proof's domain does not match the one expected")
    if "@context" in proof:
        proof_ctx = proof["@context"] if isinstance(proof["@context"], list) else [proof["@context"]]
        doc_ctx = document.get("@context")
        doc_ctx = doc_ctx if isinstance(doc_ctx, list) else [doc_ctx]
        if doc_ctx[: len(proof_ctx)] != proof_ctx:
            return fail("the proof's @context does not match the document's")

    try:
        signature = multibase_b58_decode(value)
    except KeyFormatError:
        return fail("proofValue is not multibase base58btc")
    if len(signature) != 64:
        return fail(f"proofValue is not a 64-byte {key_kind} signature")

    try:
        key = resolve_key(vm, purpose)
    except CredentialError as exc:
        return fail(str(exc), "issuer_key")
    if key.kind != key_kind:
        # The proof claims a suite its key cannot make: the proof is wrong, whoever's key it names.
        named = "proof type" if suite == ED25519_SIGNATURE_2020 else "cryptosuite"
        return fail(f"{named} {suite} needs a {key_kind} verification method; {vm} is a {key.kind} key")

    options = {k: v for k, v in proof.items() if k not in ("proofValue", "@context")}
    # jsonld-signatures (Ed25519Signature2020) hashes the proof with its own @context when it has one; the
    # Data Integrity suites always with the document's (a proof @context must then be a prefix of it).
    own_context = proof.get("@context") if suite == ED25519_SIGNATURE_2020 and "@context" in proof else None
    config = {"@context": own_context or document.get("@context"), **options}
    secured = _unsecured(document)
    previous = proof.get("previousProof")
    if previous is not None:
        # A proof chain signs the earlier proofs it names, so they are part of what is hashed.
        ids = previous if isinstance(previous, list) else [previous]
        try:
            secured["proof"] = [proofs_by_id[i] for i in ids]
        except (KeyError, TypeError):
            return fail("previousProof names a proof that is not in the document")
        if len(secured["proof"]) == 1:
            secured["proof"] = secured["proof"][0]
    cache_key = None
    if signature_cache is not None:
        # Exactly these bytes (document, proof options, signature) and this key: the answer cannot change.
        # The document's own key covers all three; its tag holds a NUL, which JSON text never does, so the
        # two kinds of key cannot meet.
        if proof_key is not None:
            material = b"document-key\x00" + proof_key
        else:
            material = json.dumps([secured, config, value], sort_keys=True, ensure_ascii=False,
                                  separators=(",", ":")).encode("utf-8")
        cache_key = hashlib.sha256(material + b"\x00" + key.raw).digest()
        if signature_cache.get(cache_key) is True:
            return ProofCheck(True, vm, "the signature is valid", proof, suite=suite)
    try:
        data = _hash_data(secured, config, canon)
    except CanonicalizationError as exc:
        return fail(f"the credential cannot be canonicalized safely: {exc}")
    except CredentialError as exc:  # pragma: no cover - defensive; canonicalizer raises the above
        return fail(str(exc))
    if not key.verify(signature, data):
        return fail("the signature does not match the credential: it was altered or signed by another key")
    if cache_key is not None and signature_cache is not None:
        signature_cache[cache_key] = True
    return ProofCheck(True, vm, "the signature is valid", proof, suite=suite)
