"""The VC data model's rules (``mcbadge.vc.data_model``) as pure functions: what may be signed, what reads as
a presentation. Over HTTP the same rules answer ``POST /credentials/issue`` and ``/presentations/verify``
(tests/test_vcapi.py, tests/test_vc_conformance.py); here each rule is met on its own."""

from __future__ import annotations

from typing import Any

import pytest

from mcbadge.vc.contexts import CREDENTIALS_V1, CREDENTIALS_V2
from mcbadge.vc.data_model import (
    check_issued_credential,
    check_members,
    check_presentation,
    check_unsigned_credential,
    is_url,
)
from mcbadge.vc.errors import CredentialError, DataModelError, IssuerMismatch

ISSUER = "did:example:issuer"


def credential(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"@context": [CREDENTIALS_V2], "type": ["VerifiableCredential"], "issuer": ISSUER,
                            "credentialSubject": {"id": "did:example:subject"}}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def test_a_minimal_credential_of_each_version_passes() -> None:
    assert check_unsigned_credential(credential(), ISSUER) == 2
    v1 = credential(**{"@context": [CREDENTIALS_V1], "issuanceDate": "2025-01-01T00:00:00Z"})
    assert check_unsigned_credential(v1, ISSUER) == 1
    assert check_unsigned_credential(credential(issuer={"id": ISSUER, "name": "District"})) == 2


@pytest.mark.parametrize(("changes", "message"), [
    ({"@context": None}, "has no @context"),
    ({"@context": CREDENTIALS_V2}, "@context must be a non-empty array"),
    ({"@context": [CREDENTIALS_V2, ""]}, "each @context item"),
    ({"@context": ["https://example.org/other"]}, "the first @context must be"),
    ({"type": None}, "has no type"),
    ({"type": "VerifiableCredential"}, "type must be a non-empty array"),
    ({"type": ["OtherCredential"]}, "type must include VerifiableCredential"),
    ({"id": 7}, "id, when present"),
    ({"issuer": None}, "has no issuer"),
    ({"issuer": {"name": "x"}}, "an issuer object must have an id"),
    ({"issuer": 3}, "issuer must be a URL"),
    ({"credentialSubject": None}, "has no credentialSubject"),
    ({"credentialSubject": {}}, "credentialSubject must be an object with at least one claim"),
    ({"proof": {}}, "already has a proof"),
    ({"credentialStatus": {}}, "send no credentialStatus"),
    ({"evidence": [{"id": "https://example.org/e"}]}, "each evidence must be an object with a type"),
    ({"termsOfUse": []}, "each termsOfUse must be an object with a type"),
    ({"validFrom": "2025-01-01"}, "validFrom must be an XML Schema dateTime"),
    ({"validFrom": "2025-01-02T00:00:00Z", "validUntil": "2025-01-01T00:00:00Z"}, "validUntil is before validFrom"),
])
def test_what_may_not_be_signed_is_refused_naming_the_problem(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(DataModelError, match=message):
        check_unsigned_credential(credential(**changes), ISSUER)


def test_another_issuer_is_refused_saying_whom_it_expected() -> None:
    with pytest.raises(IssuerMismatch) as raised:
        check_unsigned_credential(credential(issuer="did:example:other"), ISSUER)
    assert (raised.value.expected, raised.value.found) == (ISSUER, "did:example:other")
    assert isinstance(raised.value, CredentialError)  # one tree with the library's other errors


LIST = "https://example.org/status/revocation/1"
ENTRY = {"id": f"{LIST}#7", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
         "statusListIndex": "7", "statusListCredential": LIST}
PROOF = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "proofValue": "z1"}


def test_an_issued_credential_keeps_its_status_and_proof() -> None:
    """What this service issues: one status entry or several, a proof or a proof set, each well formed."""
    for status in (ENTRY, [ENTRY], [ENTRY, {**ENTRY, "id": f"{LIST}#8", "statusListIndex": "8"}]):
        for proof in (PROOF, [PROOF]):
            assert check_issued_credential(credential(credentialStatus=status, proof=proof), ISSUER) == 2
    # Another status method is only held to the data model's rule: an object with a type.
    assert check_issued_credential(credential(credentialStatus={"type": "1EdTechRevocationList",
                                                                "id": "https://example.org/r"})) == 2


@pytest.mark.parametrize(("changes", "message"), [
    ({"credentialStatus": []}, "each credentialStatus must be an object with a type"),
    ({"credentialStatus": {"id": f"{LIST}#7"}}, "each credentialStatus must be an object with a type"),
    ({"credentialStatus": {**ENTRY, "id": "not a url"}}, "credentialStatus id, when present, must be a URL"),
    ({"credentialStatus": {k: v for k, v in ENTRY.items() if k != "statusPurpose"}}, "must have a statusPurpose"),
    ({"credentialStatus": {**ENTRY, "statusListIndex": 7}}, "statusListIndex must be a decimal string"),
    ({"credentialStatus": {**ENTRY, "statusListIndex": "07"}}, "statusListIndex must be a decimal string"),
    ({"credentialStatus": {**ENTRY, "statusListCredential": "status/1"}}, "statusListCredential must be a URL"),
    ({"credentialStatus": {**ENTRY, "id": LIST}}, "id must not be its statusListCredential"),
    ({"proof": [PROOF, {"proofValue": "z2"}]}, "each proof must be an object with a type"),
    ({"proof": []}, "each proof must be an object with a type"),
    ({"type": ["OtherCredential"]}, "type must include VerifiableCredential"),
    ({"evidence": [{"id": "https://example.org/e"}]}, "each evidence must be an object with a type"),
    ({"validFrom": "2025-01-02T00:00:00Z", "validUntil": "2025-01-01T00:00:00Z"}, "validUntil is before validFrom"),
])
def test_what_may_not_be_issued_is_named(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(DataModelError, match=message):
        check_issued_credential(credential(**changes), ISSUER)


SCHEMA = {"id": "https://example.org/schema.json", "type": "JsonSchema"}
RESOURCE = {"id": "https://example.org/file.pdf", "digestSRI": "sha384-abc"}


@pytest.mark.parametrize(("members", "message"), [
    ({"credentialSchema": {"id": SCHEMA["id"]}}, "each credentialSchema must be an object with a type"),
    ({"credentialSchema": {"type": "JsonSchema", "id": "not a url"}}, "must have an id that is a URL"),
    ({"refreshService": {"type": ""}}, "each refreshService must be an object with a type"),
    ({"relatedResource": []}, "relatedResource must be one or more objects"),
    ({"relatedResource": [RESOURCE["id"]]}, "relatedResource must be one or more objects"),
    ({"relatedResource": {"digestSRI": "sha384-abc"}}, "must have an id that is a URL"),
    ({"relatedResource": [RESOURCE, RESOURCE]}, "id must be unique"),
    ({"relatedResource": {"id": RESOURCE["id"]}}, "a digestSRI or a digestMultibase"),
])
def test_typed_members_and_related_resources(members: dict[str, Any], message: str) -> None:
    with pytest.raises(DataModelError, match=message):
        check_members(members)


def test_well_formed_members_pass() -> None:
    check_members({"credentialSchema": [SCHEMA], "evidence": {"type": ["Evidence"]},
                   "relatedResource": [RESOURCE, {"id": "urn:uuid:1", "digestMultibase": "uEiA"}]})


def test_url_as_the_data_model_means_it() -> None:
    assert all(is_url(u) for u in ("https://example.org/x", "did:key:z6Mk", "urn:uuid:1"))
    assert not any(is_url(u) for u in ("example.org", "https ://x", "", None, 3))


def presentation(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"@context": [CREDENTIALS_V2], "type": ["VerifiablePresentation"]}
    base.update(changes)
    return base


def test_a_presentation_gives_its_holder() -> None:
    assert check_presentation(presentation()) is None
    assert check_presentation(presentation(holder="did:example:h")) == "did:example:h"
    assert check_presentation(presentation(holder={"id": "did:example:h"}, type="VerifiablePresentation",
                                           verifiableCredential=[credential()])) == "did:example:h"


@pytest.mark.parametrize(("changes", "message"), [
    ({"@context": CREDENTIALS_V2}, "@context must be a non-empty array"),
    ({"@context": ["https://example.org/other"]}, "the first @context must be"),
    ({"@context": [CREDENTIALS_V2, 5]}, "each @context item"),
    ({"type": ["VerifiableCredential"]}, "type must include VerifiablePresentation"),
    ({"type": ["VerifiablePresentation", "EnvelopedVerifiablePresentation"]}, "not supported"),
    ({"verifiableCredential": ["eyJ..."]}, "verifiableCredential must be credential objects"),
    ({"holder": 5}, "holder must be a URL"),
])
def test_what_is_not_a_presentation_is_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(DataModelError, match=message):
        check_presentation(presentation(**changes))
