"""The mcbadge credential library: Open Badges 3.0 credentials as W3C Verifiable Credentials 2.0.

Pure: no web framework, no database, no settings. Every collaborator — the context loader, the DID
resolver and whatever fetches did:web documents, the status-list fetcher, the clock, the signer — is passed
in, so a script or another service can use it on its own::

    from datetime import datetime, timezone
    from mcbadge.vc import DidResolver, Ed25519KeyPair, did_key_from_public, sign_credential, verify

    key = Ed25519KeyPair.generate()
    key = key.bound(did_key_from_public(key.public_key))
    signed = sign_credential(credential, key)                      # eddsa-rdfc-2022, safe mode
    report = verify(signed, resolver=DidResolver(), now=datetime.now(timezone.utc))
    report.verified, [(c.code, c.outcome.value, c.message) for c in report.checks]

Modules, in the order a credential meets them: ``contexts`` (pinned JSON-LD contexts), ``models`` and
``schema`` (OB 3.0 shapes and JSON Schema), ``identity_hash`` (the teacher's hashed e-mail), ``data_model``
(the VC data model's rules for what is to be signed, and for presentations), ``evidence`` (digests of what
the assessor saw), ``canon`` (RDFC-1.0), ``keys`` (Ed25519 key pairs; Ed25519, P-256 and RSA public keys
from Multikeys and JWKs), ``dids`` (did:key, did:web, DID documents, the resolver), ``data_integrity`` and
``jwt`` (proofs), ``status_list`` (Bitstring Status List), ``baking`` (credentials inside PNG/SVG badge
images), ``rubric`` (the rubric levels reached against those required), ``verify`` (the report),
``recognition`` (state recognition registries: build, verify, and answer "does this count in that state?").
"""

from .baking import bake, bake_png, bake_svg, unbake, unbake_png, unbake_svg
from .canon import Canonicalizer, canonicalize
from .contexts import PINNED_LOADER, PinnedLoader
from .data_integrity import create_proof, sign_credential, verify_proofs
from .dids import (
    DidResolver,
    did_key_document,
    did_key_from_public,
    did_web_document,
    did_web_from_url,
)
from .errors import (
    BakingError,
    CanonicalizationError,
    ContextError,
    CredentialError,
    DidResolutionError,
    JwtError,
    KeyFormatError,
    ProofError,
    StatusListError,
)
from .jwt import decode_vc_jwt, encode_vc_jwt
from .keys import Ed25519KeyPair, PublicKey, Signer, decode_multikey
from .status_list import (
    BitstringStatusList,
    check_status,
    status_entry,
    status_list_credential,
)
from .verify import Check, Outcome, VerificationReport, verify

__all__ = [
    "PINNED_LOADER",
    "BakingError",
    "BitstringStatusList",
    "CanonicalizationError",
    "Canonicalizer",
    "Check",
    "ContextError",
    "CredentialError",
    "DidResolutionError",
    "DidResolver",
    "Ed25519KeyPair",
    "JwtError",
    "KeyFormatError",
    "Outcome",
    "PinnedLoader",
    "ProofError",
    "PublicKey",
    "Signer",
    "StatusListError",
    "VerificationReport",
    "bake",
    "bake_png",
    "bake_svg",
    "canonicalize",
    "check_status",
    "create_proof",
    "decode_multikey",
    "decode_vc_jwt",
    "did_key_document",
    "did_key_from_public",
    "did_web_document",
    "did_web_from_url",
    "encode_vc_jwt",
    "sign_credential",
    "status_entry",
    "status_list_credential",
    "unbake",
    "unbake_png",
    "unbake_svg",
    "verify",
    "verify_proofs",
]
