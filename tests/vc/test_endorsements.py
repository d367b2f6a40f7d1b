"""Endorsements embedded in a badge are verified as credentials in their own right, each reported.

The endorsements and the badges that carry them are signed by other implementations (the pinned Node packages:
ecdsa-rdfc-2019 and eddsa-rdfc-2022 by @digitalbazaar, ES256 by jose), each with a fresh did:key.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

import pytest
from jwcrypto.common import base64url_decode, base64url_encode

from mcbadge.vc.contexts import CREDENTIALS_V2, OB_CONTEXT
from mcbadge.vc.dids import DidResolver
from mcbadge.vc.verify import Check, Outcome, VerificationReport, verify

from tests.factories.credentials import rich_credential
from tests.node_reference import NodeReference, node_reference  # noqa: F401 - session fixture

pytestmark = pytest.mark.node

ACHIEVEMENT = "https://example.org/achievements/cfu"  # rich_credential's achievement


def endorsement(subject: str = ACHIEVEMENT, **dates: str) -> dict[str, Any]:
    return {
        "@context": [CREDENTIALS_V2, OB_CONTEXT],
        "id": "urn:uuid:0c6a4c1e-7d1f-4b0a-9a54-3e8e2f0d7a21",
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": "State endorsement of the Checking for Understanding micro-credential",
        "issuer": {"id": "set by the signer", "type": ["Profile"], "name": "State Department of Education"},
        "validFrom": dates.get("validFrom", "2024-01-01T00:00:00Z"),
        **({"validUntil": dates["validUntil"]} if "validUntil" in dates else {}),
        "credentialSubject": {"id": subject, "type": ["EndorsementSubject"],
                              "endorsementComment": "Meets the state's standard for formative assessment."},
    }


def badge(node: NodeReference, *, endorsements: Sequence[Any] = (), jwts: Sequence[str] = ()) -> dict[str, Any]:
    """A badge whose achievement carries ``endorsements`` (and ``jwts``), signed by its issuer (eddsa-rdfc-2022)."""
    credential = rich_credential()
    del credential["credentialStatus"]
    if endorsements:
        credential["credentialSubject"]["achievement"]["endorsement"] = list(endorsements)
    if jwts:
        credential["credentialSubject"]["achievement"]["endorsementJwt"] = list(jwts)
    return node.issue_with("eddsa-rdfc-2022", credential)["credential"]


def report_of(credential: Any) -> VerificationReport:
    return verify(credential, resolver=DidResolver(), now=datetime.now(timezone.utc))


def endorsements_check(report: VerificationReport) -> Check:
    found = report.check("endorsements")
    assert found is not None, [c.code for c in report.checks]
    return found


@pytest.fixture(scope="module")
def signed_endorsement(node_reference: NodeReference) -> dict[str, Any]:
    signed: dict[str, Any] = node_reference.issue_with("ecdsa-rdfc-2019", endorsement())["credential"]
    assert isinstance(signed["proof"], dict)  # one proof object, as the reference implementation writes it
    return signed


def test_a_genuine_endorsement_is_verified_and_reported(node_reference: NodeReference,
                                                        signed_endorsement: dict[str, Any]) -> None:
    report = report_of(badge(node_reference, endorsements=[signed_endorsement]))
    # Its proof is one object, not the one-element array the strict schema wants: the same in JSON-LD.
    assert report.check("schema").outcome is Outcome.PASSED, report.summary  # type: ignore[union-attr]
    check = endorsements_check(report)
    assert check.outcome is Outcome.PASSED and report.verified, report.summary
    [row] = check.details["endorsements"]
    assert row["where"] == "credentialSubject.achievement.endorsement[0]" and row["outcome"] == "passed"
    assert row["issuer"] == signed_endorsement["issuer"]["id"]
    assert {c["code"]: c["outcome"] for c in row["checks"]}["proof"] == "passed"


def test_an_altered_endorsement_fails_even_when_its_proof_is_an_array(node_reference: NodeReference,
                                                                      signed_endorsement: dict[str, Any]) -> None:
    altered = copy.deepcopy(signed_endorsement)
    altered["proof"] = [altered["proof"]]
    altered["credentialSubject"]["endorsementComment"] = "Exceeds every standard the state has."
    # The badge's issuer signs the badge with the altered endorsement in it: its own proof is valid.
    report = report_of(badge(node_reference, endorsements=[altered]))
    assert report.check("proof").outcome is Outcome.PASSED  # type: ignore[union-attr]
    assert report.check("schema").outcome is Outcome.PASSED  # type: ignore[union-attr]
    check = endorsements_check(report)
    assert check.outcome is Outcome.FAILED and not report.verified
    assert "1 of 1 endorsements are not genuine" in check.message and "proof: the signature does not match" in check.message


def test_an_endorsement_of_something_else_fails(node_reference: NodeReference) -> None:
    other = node_reference.issue_with("ecdsa-rdfc-2019", endorsement("https://example.org/achievements/other"))
    check = endorsements_check(report_of(badge(node_reference, endorsements=[other["credential"]])))
    assert check.outcome is Outcome.FAILED and "it endorses 'https://example.org/achievements/other'" in check.message


def test_an_expired_endorsement_is_a_warning(node_reference: NodeReference,
                                             signed_endorsement: dict[str, Any]) -> None:
    expired = node_reference.issue_with(
        "ecdsa-rdfc-2019", endorsement(validFrom="2015-01-01T00:00:00Z", validUntil="2020-01-01T00:00:00Z"))
    report = report_of(badge(node_reference, endorsements=[signed_endorsement, expired["credential"]]))
    check = endorsements_check(report)
    assert check.outcome is Outcome.PASSED and report.verified
    assert [row["outcome"] for row in check.details["endorsements"]] == ["passed", "failed"]
    assert "expired on 2020-01-01T00:00:00Z" in check.details["warnings"][0]
    assert "Warning:" in report.summary


def test_endorsement_jwts_are_verified_too(node_reference: NodeReference) -> None:
    token = node_reference.jwt_sign("ES256", endorsement())["token"]
    report = report_of(badge(node_reference, jwts=[token]))
    check = endorsements_check(report)
    assert check.outcome is Outcome.PASSED and report.verified, report.summary
    assert check.details["endorsements"][0]["where"] == "credentialSubject.achievement.endorsementJwt[0]"

    header, payload, signature = token.split(".")
    claims = json.loads(base64url_decode(payload))
    claims["vc"]["credentialSubject"]["endorsementComment"] = "Exceeds every standard the state has."
    tampered = f"{header}.{base64url_encode(json.dumps(claims).encode())}.{signature}"
    check = endorsements_check(report_of(badge(node_reference, jwts=[tampered])))
    assert check.outcome is Outcome.FAILED and "signature" in check.message


def test_too_many_endorsements_are_not_read() -> None:
    credential = rich_credential()
    credential["credentialSubject"]["achievement"]["endorsement"] = [endorsement()] * 17
    check = endorsements_check(report_of(credential))
    assert check.outcome is Outcome.FAILED and check.message.startswith("the credential embeds 17 endorsements")
