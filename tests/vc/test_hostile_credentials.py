"""Third-party credentials in the shapes the specifications allow (and some they forbid), verified by the library:
JSON-LD's equivalent spellings judged alike, XML Schema date-times as the VC data model defines them, and
hostile values reported as failed checks, never raised."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from typing import Any

import pytest

from mcbadge.vc import status_list
from mcbadge.vc.data_integrity import parse_datetime, sign_credential
from mcbadge.vc.errors import StatusListError
from mcbadge.vc.dids import DidResolver
from mcbadge.vc.verify import MAX_DOCUMENT_DEPTH, Outcome, verify
from tests.factories.credentials import rich_credential
from tests.factories.world import BASE, ISSUER, STATUS_URL, World, now


@pytest.fixture(scope="module")
def world() -> World:
    return World()  # none of this module's tests changes its status list or documents


def outcomes(report) -> dict[str, str]:
    return {c.code: c.outcome.value for c in report.checks}


def _signed(world: World, change) -> dict[str, Any]:  # noqa: ANN001 - change(credential) edits it in place
    unsigned = rich_credential(issuer_id=ISSUER, base_url=BASE)
    change(unsigned)
    return sign_credential(unsigned, world.key)


# -- one value or a one-element array: the same JSON-LD --------------------------------------------------------

EQUIVALENT_SHAPES = {
    "status type as an array": lambda c: c["credentialStatus"].update(type=["BitstringStatusListEntry"]),
    "credentialStatus as an array": lambda c: c.update(credentialStatus=[c["credentialStatus"]]),
    "credentialSubject as an array": lambda c: c.update(credentialSubject=[c["credentialSubject"]]),
    "issuer as a string": lambda c: c.update(issuer=ISSUER),
    "type as a string": lambda c: c.update(type="VerifiableCredential"),  # no Open Badge type: no schema check
}


@pytest.mark.parametrize("change", EQUIVALENT_SHAPES.values(), ids=EQUIVALENT_SHAPES.keys())
def test_equivalent_json_ld_shapes_verify_alike(world: World, change) -> None:  # noqa: ANN001
    report = world.verify(_signed(world, change))
    assert report.verified, report.summary
    assert report.check("status").outcome is Outcome.PASSED, report.check("status").message


def test_a_proof_set_of_one_in_an_array_verifies(world: World) -> None:
    credential = _signed(world, lambda c: None)
    credential["proof"] = [credential["proof"]]
    assert world.verify(credential).verified


def test_a_revoked_credential_whose_status_type_is_an_array_is_revoked() -> None:
    # Read as "unsupported status" before: the credential passed as verified, its revocation not checked.
    world = World()
    credential = _signed(world, lambda c: c["credentialStatus"].update(type=["BitstringStatusListEntry"]))
    world.status.set(int(credential["credentialStatus"]["statusListIndex"]), True)
    world.publish_status()
    report = world.verify(credential)
    assert report.check("status").outcome is Outcome.FAILED and "revoked" in report.check("status").message
    assert not report.verified


# -- date-times: XML Schema dateTimeStamp, as VC 2.0 requires --------------------------------------------------

@pytest.mark.parametrize(("text", "instant"), [
    ("2025-01-01T00:00:00Z", datetime(2025, 1, 1, tzinfo=timezone.utc)),
    ("2025-01-01T00:00:00.123456789Z", datetime(2025, 1, 1, 0, 0, 0, 123456, tzinfo=timezone.utc)),
    ("2025-01-01T05:30:00+05:30", datetime(2025, 1, 1, tzinfo=timezone.utc)),
    ("2025-01-01T14:00:00+14:00", datetime(2025, 1, 1, tzinfo=timezone.utc)),
    ("2024-12-31T10:00:00-14:00", datetime(2025, 1, 1, tzinfo=timezone.utc)),
    ("2024-12-31T24:00:00Z", datetime(2025, 1, 1, tzinfo=timezone.utc)),  # the end of a day: the next one's start
    ("2024-12-31T24:00:00.000Z", datetime(2025, 1, 1, tzinfo=timezone.utc)),
    ("12025-01-01T00:00:00Z", datetime.max.replace(tzinfo=timezone.utc)),  # later than Python can hold
    ("9999-12-31T23:00:00-14:00", datetime.max.replace(tzinfo=timezone.utc)),  # in UTC, so is this
    ("9999-12-31T24:00:00Z", datetime.max.replace(tzinfo=timezone.utc)),
    ("0001-01-01T00:00:00+14:00", datetime.min.replace(tzinfo=timezone.utc)),  # in UTC, year 0
    ("0000-01-01T00:00:00Z", datetime.min.replace(tzinfo=timezone.utc)),  # 1 BCE: earlier than it can hold
    ("-0044-03-15T12:00:00Z", datetime.min.replace(tzinfo=timezone.utc)),
])
def test_xml_schema_date_times_are_read(text: str, instant: datetime) -> None:
    assert parse_datetime(text) == instant


@pytest.mark.parametrize("text", [
    "2025-01-01T00:00:00",  # no time zone: a dateTime, not a dateTimeStamp
    "2025-01-01",  # a date
    "2025-01-01T00:00Z",  # no seconds
    "2025-01-01T00:00:00z",  # the zone designator is a capital Z
    "2025-01-01 00:00:00Z",
    "2025-01-01T00:00:00+14:01",  # beyond the furthest time zone
    "2025-01-01T00:00:00+15:00",
    "2025-01-01T24:00:01Z",
    "2025-01-01T25:00:00Z",
    "2025-02-30T00:00:00Z",
    "012025-01-01T00:00:00Z",  # a leading zero beyond four digits
    "12025-13-01T00:00:00Z",
    "2025-01-01T00:00:00.Z",
    "2025-0\u0661-01T00:00:00Z",  # an Arabic-Indic digit
])
def test_what_is_not_an_xml_schema_date_time_stamp_is_refused(text: str) -> None:
    assert parse_datetime(text) is None


def test_a_credential_valid_until_a_far_year_or_from_a_midnight_verifies(world: World) -> None:
    def dates(c: dict[str, Any]) -> None:
        c.update(type=["VerifiableCredential"], validFrom="2024-12-31T24:00:00Z", validUntil="12025-01-01T00:00:00Z")
        c["credentialSubject"] = {"id": "did:example:teacher"}
        for name in ("evidence", "name", "description", "relatedResource"):
            c.pop(name, None)
    report = world.verify(_signed(world, dates))
    assert report.check("validity").outcome is Outcome.PASSED, report.check("validity").message
    assert report.verified, report.summary


def test_a_status_list_valid_until_a_date_that_is_no_date_time_stamp_is_not_trusted() -> None:
    listed = status_list.status_list_credential(id=STATUS_URL, issuer=ISSUER, status_purpose="revocation",
                                                encoded_list=status_list.BitstringStatusList().encode())
    entry = status_list.status_entry(list_credential_url=STATUS_URL, index=7, purpose="revocation")
    for bad in ("2999-01-01 00:00:00+00:00", "29990101T000000Z", "2999-01-01T00:00:00"):
        with pytest.raises(StatusListError, match="not a valid date-time"):
            status_list.check_status(entry, {**listed, "validUntil": bad}, now=datetime.now(timezone.utc))


# -- hostile values: failed checks, never exceptions -----------------------------------------------------------

@pytest.mark.parametrize("proof_id", [["urn:a"], {"id": "urn:a"}, 5])
def test_a_proof_whose_id_is_not_a_string_fails_its_check(world: World, proof_id: Any) -> None:
    credential = _signed(world, lambda c: None)
    credential["proof"] = {**credential["proof"], "id": proof_id}
    chained = copy.deepcopy(credential)
    chained["proof"] = [chained["proof"], {**credential["proof"], "id": "urn:b", "previousProof": proof_id}]
    for document in (credential, chained):
        report = world.verify(document)
        assert report.check("proof").outcome is Outcome.FAILED and not report.verified


def test_a_status_list_url_that_is_not_a_string_is_an_invalid_entry_never_fetched(world: World) -> None:
    asked: list[str] = []

    def fetch(url: str) -> Any:
        asked.append(url)
        return world.fetch(url)

    credential = _signed(world, lambda c: c["credentialStatus"].update(statusListCredential=[STATUS_URL]))
    report = verify(credential, resolver=DidResolver(fetch_json=world.fetch), status_fetcher=fetch, now=now())
    check = report.check("status")
    assert check.outcome is Outcome.FAILED and "is not a URL" in check.message and asked == []


def test_json_text_is_read_as_every_verifier_reads_it(world: World) -> None:
    text = json.dumps(_signed(world, lambda c: None))
    assert world.verify(text).verified
    # Another issuer named first: Python's parser would keep the signed one (the last), others the first.
    twice = '{"issuer": "did:example:mallory", ' + text[1:]
    for bad, why in ((twice, "duplicate member 'issuer'"), (text[:-1] + ', "x": NaN}', "NaN"),
                     ("[" * 100_000 + "]" * 100_000, "nests too deep")):
        report = world.verify(bad)
        assert report.check("parse").outcome is Outcome.FAILED and why in report.check("parse").message


def test_a_document_nested_beyond_the_bound_is_not_read(world: World) -> None:
    credential = _signed(world, lambda c: None)
    deep: Any = "bottom"
    for _ in range(MAX_DOCUMENT_DEPTH):
        deep = {"a": deep}
    credential["credentialSubject"]["deep"] = deep  # Python's recursion limit was reached at about 400 levels
    report = world.verify(credential)
    assert report.check("parse").outcome is Outcome.FAILED and "nests deeper than" in report.check("parse").message
