"""vc.renewal: the renewal decision as a pure function, with the rules the HTTP tests do not reach.

A district and a state, each a did:key with a signed revocation list served from a dict (the "network");
credentials are the rich test credential signed by the district, verified with ``verify``, the registry
with ``verify_registry``. Awarded 2025-03-14 (the rich credential's ``validFrom``).
"""

from __future__ import annotations

import copy
from datetime import date, datetime, timezone
from typing import Any

import pytest

from mcbadge.vc.data_integrity import sign_credential
from mcbadge.vc.dids import DidResolver, did_key_from_public
from mcbadge.vc.keys import Ed25519KeyPair
from mcbadge.vc.recognition import CountCredit, RecognizedAchievement, definition_digest, registry_credential, verify_registry
from mcbadge.vc.renewal import HeldCredential, award_date, renewal_report
from mcbadge.vc.status_list import BitstringStatusList, status_entry, status_list_credential
from mcbadge.vc.verify import verify
from tests.factories.credentials import SUBJECT_EMAIL, SUBJECT_SALT, rich_credential

AREA = "Mathematics 6-12"
def now() -> datetime:
    """The time of a verification: read when it runs. Signatures are made during the test, so a time read when
    the module was collected (minutes earlier under xdist) made their proofs "created in the future"."""
    return datetime.now(timezone.utc)
CYCLE = (date(2024, 7, 1), date(2029, 6, 30))


class Actor:
    def __init__(self, network: dict[str, Any], name: str) -> None:
        key = Ed25519KeyPair.generate()
        self.did = did_key_from_public(key.public_key)
        self.key = key.bound(self.did)
        self.status_url = f"https://{name}.example/status/1"
        self.network, self.bits = network, BitstringStatusList()
        self.publish_status()

    def publish_status(self) -> None:
        unsigned = status_list_credential(id=self.status_url, issuer=self.did, status_purpose="revocation",
                                          encoded_list=self.bits.encode())
        self.network[self.status_url] = sign_credential(unsigned, self.key)


@pytest.fixture
def network() -> dict[str, Any]:
    return {}


def fetch(network: dict[str, Any]) -> Any:
    def get(url: str) -> Any:
        if url not in network:
            raise ConnectionError(f"cannot reach {url}")
        return copy.deepcopy(network[url])
    return get


def badge(district: Actor, **overrides: Any) -> dict[str, Any]:
    credential = rich_credential(issuer_id=district.did, base_url="https://district.example")
    credential["credentialStatus"] = status_entry(list_credential_url=district.status_url, index=11,
                                                  purpose="revocation")
    credential.update(overrides)
    return sign_credential(credential, district.key)


def registry(state: Actor, credential: dict[str, Any], network: dict[str, Any], **entry: Any):
    achievement = credential["credentialSubject"]["achievement"]
    fields: dict[str, Any] = {"achievement_issuer": credential["issuer"]["id"], "achievement_id": achievement["id"],
                              "definition_digest": definition_digest(achievement), "endorsement_areas": (AREA,),
                              "credit": CountCredit(1, 3), "effective_from": date(2024, 1, 1),
                              "effective_until": None, **entry}
    unsigned = registry_credential(
        id="urn:uuid:registry-s", agency=state.did, agency_name="State S", entries=[RecognizedAchievement(**fields)],
        valid_from=datetime(2026, 1, 1, tzinfo=timezone.utc),
        credential_status=[status_entry(list_credential_url=state.status_url, index=7, purpose="revocation")])
    return verify_registry(sign_credential(unsigned, state.key), resolver=DidResolver(), now=now(),
                           status_fetcher=fetch(network), expected_agency=state.did)


def held(credential: Any, network: dict[str, Any], source: str = "awarded") -> HeldCredential:
    report = verify(credential, resolver=DidResolver(), now=now(), status_fetcher=fetch(network))
    return HeldCredential(report, source, credential["id"] if isinstance(credential, dict) else "jwt")  # type: ignore[arg-type]


def report_of(state: Actor, lines: list[HeldCredential], registries: list[Any], **kwargs: Any):
    return renewal_report(lines, state=state.did, endorsement_area=AREA, cycle_start=CYCLE[0], cycle_end=CYCLE[1],
                          registries=registries, educator_email=SUBJECT_EMAIL, now=now(), **kwargs)


def test_a_registry_published_after_the_award_still_says_what_counted_then(network):
    district, state = Actor(network, "district"), Actor(network, "state")
    credential = badge(district)
    assert award_date(credential) == date(2025, 3, 14)
    checked = registry(state, credential, network)  # in force from 2026-01-01; its entry from 2024-01-01
    assert checked.verified, checked.problems
    report = report_of(state, [held(credential, network)], [checked])
    [line] = report.lines
    assert line.counts and line.reasons == () and line.credit == CountCredit(1, 3)
    assert report.totals.counted == 1 and report.totals.required == 3 and report.totals.met is False


def test_an_entry_not_in_effect_on_the_award_date_does_not_count(network):
    district, state = Actor(network, "district"), Actor(network, "state")
    credential = badge(district)
    checked = registry(state, credential, network, effective_from=date(2025, 9, 1))
    [line] = report_of(state, [held(credential, network)], [checked]).lines
    assert not line.counts and [r.code for r in line.reasons] == ["entry_not_yet_effective"]
    assert line.match is None


def test_a_status_that_cannot_be_checked_does_not_count_and_no_status_entry_is_no_obstacle(network):
    district, state = Actor(network, "district"), Actor(network, "state")
    credential = badge(district)
    checked = registry(state, credential, network)
    unreachable = {k: v for k, v in network.items() if k != district.status_url}
    [line] = report_of(state, [held(credential, unreachable)], [checked]).lines
    assert not line.counts and [r.code for r in line.reasons] == ["status_unknown"]
    assert line.match is not None  # it would count: only its status is in doubt
    # A credential its issuer gave no status entry cannot be revoked: nothing to check, it counts.
    unrevocable = sign_credential({k: v for k, v in rich_credential(
        issuer_id=district.did, base_url="https://district.example").items() if k != "credentialStatus"},
        district.key)
    [line] = report_of(state, [held(unrevocable, network)], [registry(state, unrevocable, network)]).lines
    assert line.counts, line.reasons


def test_expired_and_suspended_say_so(network):
    district, state = Actor(network, "district"), Actor(network, "state")
    expired = badge(district, validUntil="2026-01-31T00:00:00Z")
    checked = registry(state, expired, network)
    [line] = report_of(state, [held(expired, network)], [checked]).lines
    assert [r.code for r in line.reasons] == ["expired"] and "2026-01-31" in line.reasons[0].message
    district.bits.set(11, True)
    district.publish_status()
    [line] = report_of(state, [held(badge(district), network)], [checked]).lines
    assert [r.code for r in line.reasons] == ["revoked"]


def test_an_added_credential_counts_only_for_the_address_it_was_issued_to(network):
    district, state = Actor(network, "district"), Actor(network, "state")
    credential = badge(district)
    checked = registry(state, credential, network)
    [line] = report_of(state, [held(credential, network, "added")], [checked]).lines
    assert line.counts
    [line] = renewal_report([held(credential, network, "added")], state=state.did, endorsement_area=AREA,
                            cycle_start=CYCLE[0], cycle_end=CYCLE[1], registries=[checked],
                            educator_email="someone.else@example.org", now=now()).lines
    assert [r.code for r in line.reasons] == ["not_issued_to_educator"]
    assert SUBJECT_SALT  # the credential's identity is the salted hash of SUBJECT_EMAIL


def test_a_cycle_that_ends_before_it_starts_is_the_callers_mistake(network):
    state = Actor(network, "state")
    with pytest.raises(ValueError):
        renewal_report([], state=state.did, endorsement_area=AREA, cycle_start=date(2027, 1, 1),
                       cycle_end=date(2026, 1, 1), registries=[], educator_email=None, now=now())


def test_without_the_states_registry_nothing_can_be_counted(network):
    district, state = Actor(network, "district"), Actor(network, "state")
    report = report_of(state, [held(badge(district), network)], [])
    assert not report.checkable and report.registries[0].state == "missing"
    assert [r.code for r in report.lines[0].reasons] == ["registry_missing"]
    assert report.summary.startswith("Nothing can be counted: no registry of did:key:")


def test_an_entry_that_requires_a_minimum_scoring_agreement_counts_only_with_it(network):
    district, state = Actor(network, "district"), Actor(network, "state")
    credential = badge(district)
    checked = registry(state, credential, network, minimum_scoring_kappa=0.7)
    assert checked.verified, checked.problems
    without = held(credential, network)
    with_it = HeldCredential(without.report, "awarded", without.reference, scoring_kappa=0.71)
    [line] = report_of(state, [with_it], [checked]).lines
    assert line.counts and line.reasons == ()
    [line] = report_of(state, [without], [checked]).lines
    assert not line.counts and [r.code for r in line.reasons] == ["scoring_agreement_unknown"]
