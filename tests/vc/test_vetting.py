"""A state's vetting endorsement (``vc.vetting``): an OB 3.0 EndorsementCredential bound to one definition.

A did:web state agency with its key and revocation list, a district's Achievement, and a verifier whose
"network" is a dict: the endorsement is built, signed and verified through the library's public functions.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from mcbadge.vc.canon import canonicalize
from mcbadge.vc.dids import DidResolver, did_web_document, did_web_to_url
from mcbadge.vc.keys import Ed25519KeyPair
from mcbadge.vc.recognition import definition_digest
from mcbadge.vc.schema import validate_endorsement_credential
from mcbadge.vc.status_list import BitstringStatusList, status_entry, status_list_credential
from mcbadge.vc.vetting import EndorsementError, endorsement_credential, sign_endorsement, verify_endorsement
from mcbadge.vc.data_integrity import sign_credential

from tests.factories.credentials import rich_credential

STATE = "did:web:education.state-s.example"
DISTRICT = "did:web:district-a.example"
STATUS_URL = "https://education.state-s.example/status/1"
INDEX = 11


def now() -> datetime:
    return datetime.now(timezone.utc)


class Network:
    """The agency's DID document and status list, as a verifier would fetch them."""

    def __init__(self) -> None:
        self.key = Ed25519KeyPair.generate().bound(STATE)
        self.status = BitstringStatusList()
        self.documents: dict[str, Any] = {did_web_to_url(STATE): did_web_document(STATE, [self.key.public_key])}
        self.publish_status()

    def publish_status(self) -> None:
        unsigned = status_list_credential(id=STATUS_URL, issuer=STATE, status_purpose="revocation",
                                          encoded_list=self.status.encode())
        self.documents[STATUS_URL] = sign_credential(unsigned, self.key)

    def fetch(self, url: str) -> Any:
        try:
            return copy.deepcopy(self.documents[url])
        except KeyError:
            raise ConnectionError(f"cannot reach {url}") from None

    def verify(self, document: Any, achievement: dict[str, Any], **options: Any):
        return verify_endorsement(document, resolver=DidResolver(fetch_json=self.fetch), now=now(),
                                  status_fetcher=self.fetch, achievement_id=achievement["id"],
                                  definition_digest=definition_digest(achievement), **options)


def achievement(edit: str = "") -> dict[str, Any]:
    found: dict[str, Any] = rich_credential(issuer_id=DISTRICT, base_url="https://district-a.example")[
        "credentialSubject"]["achievement"]
    found["description"] += edit
    return found


def unsigned(defined: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = dict(
        id="https://education.state-s.example/endorsements/1", agency=STATE, agency_name="State S Education Agency",
        achievement_id=defined["id"], achievement_issuer=DISTRICT, definition_digest=definition_digest(defined),
        name="Vetted by State S Education Agency: Checking for Understanding (version 1)",
        comment="State S reviewed this version of the micro-credential and vets it.",
        valid_from=now() - timedelta(minutes=1),
        credential_status=status_entry(list_credential_url=STATUS_URL, index=INDEX, purpose="revocation"))
    fields.update(overrides)
    return endorsement_credential(**fields)


@pytest.fixture
def network() -> Network:
    return Network()


def test_the_signed_endorsement_follows_the_unmodified_ob_schema(network):
    signed = sign_endorsement(unsigned(achievement()), network.key)
    assert validate_endorsement_credential(signed) == []
    assert isinstance(signed["proof"], list) and len(signed["proof"]) == 1
    subject = signed["credentialSubject"]
    assert subject["type"] == ["EndorsementSubject"] and subject["id"] == achievement()["id"]
    # The digest is a statement about the Achievement in RDF, under a defined (pinned, protected) term.
    nquads = canonicalize({k: v for k, v in signed.items() if k != "proof"})
    assert (f'<{subject["id"]}> <https://w3id.org/mcbadge/recognition#definitionDigest> '
            f'"{subject["definitionDigest"]}"^^<https://w3id.org/security#multibase> .') in nquads


def test_an_endorsement_verifies_for_the_definition_it_binds(network):
    defined = achievement()
    verification = network.verify(sign_endorsement(unsigned(defined), network.key), defined, expected_agency=STATE)
    assert verification.verified, verification.problems
    assert verification.agency == STATE and verification.agency_name == "State S Education Agency"
    assert {c.code: c.outcome.value for c in verification.report.checks}["schema"] == "passed"


def test_an_edited_definition_is_not_the_one_vetted(network):
    signed = sign_endorsement(unsigned(achievement()), network.key)
    edited = achievement(edit=" Now with a second video.")
    verification = network.verify(signed, edited)
    assert not verification.verified
    assert "the definition it vetted is not this one: its digest differs" in verification.problems


def test_another_achievement_is_not_endorsed(network):
    signed = sign_endorsement(unsigned(achievement()), network.key)
    other = {**achievement(), "id": "https://district-a.example/achievements/other"}
    verification = network.verify(signed, other)
    assert not verification.verified
    assert any(p.startswith("it endorses ") for p in verification.problems)


def test_a_withdrawn_endorsement_does_not_hold(network):
    defined = achievement()
    signed = sign_endorsement(unsigned(defined), network.key)
    network.status.set(INDEX, True)
    network.publish_status()
    verification = network.verify(signed, defined)
    assert not verification.verified
    assert any(p.startswith("status:") for p in verification.problems)


def test_an_endorsement_whose_status_cannot_be_checked_does_not_hold(network):
    defined = achievement()
    signed = sign_endorsement(unsigned(defined), network.key)
    del network.documents[STATUS_URL]
    verification = network.verify(signed, defined)
    assert not verification.verified
    assert any("withdrawal could not be ruled out" in p for p in verification.problems)


def test_a_tampered_or_foreign_endorsement_does_not_hold(network):
    defined = achievement()
    signed = sign_endorsement(unsigned(defined), network.key)
    tampered = copy.deepcopy(signed)
    tampered["credentialSubject"]["endorsementComment"] = "Vetted with distinction."
    assert not network.verify(tampered, defined).verified
    # Signed by the right key, but not the agency the caller trusts as that state.
    assert not network.verify(signed, defined, expected_agency="did:web:education.state-t.example").verified
    # A key the agency does not list.
    intruder = Ed25519KeyPair.generate().bound(STATE)
    assert not network.verify(sign_endorsement(unsigned(defined), intruder), defined).verified


@pytest.mark.parametrize("overrides", [
    {"definition_digest": "not-a-digest"},
    {"agency": "State S"},
    {"achievement_id": "checking-for-understanding"},
    {"comment": "  "},
    {"valid_until": datetime(2000, 1, 1, tzinfo=timezone.utc)},
])
def test_a_malformed_endorsement_is_refused_at_building(overrides):
    with pytest.raises(EndorsementError):
        unsigned(achievement(), **overrides)
