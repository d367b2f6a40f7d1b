"""The pre-issuance conformance gate: what a micro-credential version's awards will say, checked before the
version is published.

A published version is immutable and every award of it states its definition (``credentials.build``), so a
definition that yields a credential conformant hosts reject, or one that cannot be signed at all, must be
stopped while the admin can still change it. :func:`sample_problems` builds a sample award of the version
with ``build_credential`` (the one builder of awards) from placeholders: an educator at
``example.invalid``, one evidence item per requirement, the required level on every criterion, a revocation
entry in the issuer's first list; signs it with a throw-away key bound to the issuer's DID (signing
canonicalizes in safe mode, so a value the signature could not cover is found here, not at the first
award); and holds the signed sample to :func:`conformance_problems`: the unmodified 1EdTech schema
(``vc.schema.validate_issued``) and the VC data model (``vc.data_model.check_issued_credential``), the
checks every kind of credential this service issues is tested against.

Building goes through the OB 3.0 models (``vc.models``), which are at least as strict as the 1EdTech schema
(an empty ``targetCode``, an image URL with a character an IRI may not hold are refused there), so what a
definition accepted by the catalog API gets wrong is usually reported as "cannot be built"; the schema is
still the final word, should the two ever differ.

The sample carries one status entry, the default. An issuer that opted into suspension issues two, which
the 1EdTech schema refuses: a cost of that setting, not of the definition, so it does not stop publishing.
Nothing of the sample is stored or leaves the process; the throw-away key is never written anywhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from pydantic import ValidationError

from ..db.models import Assessment, Credential, EvidenceItem, Issuer, MicroCredential, Person, StatusPurpose
from ..identity import issuer_did
from ..status.service import list_url
from ..vc.data_integrity import sign_credential
from ..vc.data_model import check_issued_credential
from ..vc.errors import CredentialError
from ..vc.keys import Ed25519KeyPair
from ..vc.schema import validate_issued
from ..vc.status_list import status_entry
from .build import AwardContext, build_credential

__all__ = ["SAMPLE_EDUCATOR_EMAIL", "conformance_problems", "sample_context", "sample_problems"]

SAMPLE_EDUCATOR_EMAIL = "sample.educator@example.invalid"
"""The sample's earner (hashed into its subject, as every earner's address is): a reserved domain."""

# A digest of no real file: the sample's evidence file is never read.
_PLACEHOLDER_SHA256 = "0" * 64


def sample_context(issuer: Issuer, mc: MicroCredential, public_base_url: str) -> AwardContext:
    """What a sample award of ``mc`` says, from placeholders (see the module docstring): for
    ``build_credential``."""
    did = issuer_did(public_base_url, issuer.slug)
    # Transient rows, never added to a session: only what build_credential reads is set.
    credential = Credential(id=uuid.uuid4())
    educator = Person(id=uuid.uuid4(), email=SAMPLE_EDUCATOR_EMAIL)
    levels = mc.rubric.get("levels", [])
    assessment = Assessment(
        id=uuid.uuid4(), lead_decision=False,
        scores={c["key"]: c.get("required_level") or (levels[-1]["key"] if levels else "")
                for c in mc.rubric.get("criteria", [])})
    evidence = [
        EvidenceItem(id=uuid.uuid4(), requirement_key=r["key"], kind=r.get("kind", "url"),
                     filename=f"{r['key']}.pdf" if r.get("kind") == "file" else None,
                     blob_sha256=_PLACEHOLDER_SHA256 if r.get("kind") == "file" else None,
                     text="A sample reflection." if r.get("kind") == "reflection" else None)
        for r in mc.requirements
    ]
    revocation = status_entry(
        list_credential_url=list_url(public_base_url, issuer.slug, StatusPurpose.REVOCATION, 1), index=0,
        purpose=StatusPurpose.REVOCATION.value)
    return AwardContext(credential=credential, issuer=issuer, issuer_did=did, microcredential=mc,
                        educator=educator, evidence=evidence, assessment=assessment, assessor_count=1,
                        revocation_entry=revocation)


def conformance_problems(document: Mapping[str, Any], issuer: str | None = None) -> list[str]:
    """Why ``document``, a credential as issued, would not be accepted: each problem against the unmodified
    1EdTech schema its types claim (none for a credential that is not an Open Badge) and the first against the
    VC data model (issued by ``issuer``, when given). Empty when it passes both."""
    reasons = [f"1EdTech OB 3.0 schema: {problem}" for problem in validate_issued(document) or []]
    try:
        check_issued_credential(document, issuer)
    except CredentialError as error:
        reasons.append(f"VC data model: {error}")
    return reasons


def _built_wrong(error: ValidationError) -> list[str]:
    return [f"the credential cannot be built: {error.title}.{'.'.join(str(part) for part in e['loc'])}: "
            f"{e['msg']} (got {e['input']!r})" for e in error.errors()]


def sample_problems(issuer: Issuer, mc: MicroCredential, public_base_url: str) -> list[str]:
    """Why a credential awarded on ``mc`` by ``issuer`` would not be conformant (see the module docstring):
    readable reasons, each naming where; empty when the sample passes every check."""
    did = issuer_did(public_base_url, issuer.slug)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    try:
        document = build_credential(sample_context(issuer, mc, public_base_url),
                                    public_base_url=public_base_url, valid_from=now)
    except ValidationError as error:
        return _built_wrong(error)
    except (ValueError, KeyError, TypeError) as error:  # a stored definition missing what the builder reads
        return [f"the credential cannot be built: {error!r}"]
    try:
        signed = sign_credential(document, Ed25519KeyPair.generate().bound(did), created=now)
    except CredentialError as error:
        return [f"the credential cannot be signed: {error}"]
    # As sign_into stores it: one proof, as the array the strict 1EdTech schema wants.
    signed["proof"] = [signed["proof"]]
    return conformance_problems(signed, did)
