"""State recognition registries: the pinned context, the signed registry, and the rules of recognition.

A world of did:web agencies (states S, T, U, and a district A that issues micro-credentials), each with its
key and a status list, and a verifier whose "network" is a dict. Registries are built, signed and verified
through the library's public functions; the answers are checked word for word where a person reads them.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from importlib import resources
from typing import Any

import pytest

from mcbadge.vc.canon import canonicalize
from mcbadge.vc.contexts import CREDENTIALS_V2, PINNED_LOADER, QUALITY_V1, RECOGNITION_V1
from mcbadge.vc.data_integrity import sign_credential
from mcbadge.vc.data_model import check_unsigned_credential
from mcbadge.vc.dids import DidResolver, did_web_document, did_web_to_url
from mcbadge.vc.errors import CanonicalizationError
from mcbadge.vc.keys import Ed25519KeyPair
from mcbadge.vc.recognition import (
    CountCredit,
    HoursCredit,
    ReciprocityAcceptance,
    RecognitionOutcome,
    RecognizedAchievement,
    RegistryError,
    definition_digest,
    evaluate_recognition,
    registry_credential,
    verify_registry,
)
from mcbadge.vc.status_list import BitstringStatusList, status_entry, status_list_credential

from tests.factories.credentials import rich_credential

DISTRICT = "did:web:district-a.example"
STATE_S = "did:web:education.state-s.example"
STATE_T = "did:web:education.state-t.example"
STATE_U = "did:web:education.state-u.example"
AREA = "Mathematics 6-12"
ON = date(2027, 1, 15)


def now() -> datetime:
    return datetime.now(timezone.utc)


class Agency:
    """An organisation with a did:web identity, a key and a revocation status list."""

    def __init__(self, world: World, did: str, name: str) -> None:
        self.world, self.did, self.name = world, did, name
        self.key = Ed25519KeyPair.generate().bound(did)
        self.status_url = f"{did_web_to_url(did).rsplit('/.well-known', 1)[0]}/status/1"
        self.status = BitstringStatusList()
        world.documents[did_web_to_url(did)] = did_web_document(did, [self.key.public_key])
        self.publish_status()

    def publish_status(self) -> None:
        unsigned = status_list_credential(id=self.status_url, issuer=self.did, status_purpose="revocation",
                                          encoded_list=self.status.encode())
        self.world.documents[self.status_url] = sign_credential(unsigned, self.key)

    def registry(
        self,
        entries: list[RecognizedAchievement],
        reciprocity: tuple[ReciprocityAcceptance, ...] = (),
        *,
        signer: Ed25519KeyPair | None = None,
        issuer: str | None = None,
        valid_until: datetime | None = None,
    ) -> dict[str, Any]:
        unsigned = registry_credential(
            id=f"urn:uuid:registry-{self.did.split(':')[-1]}", agency=issuer or self.did, agency_name=self.name,
            entries=entries, reciprocity=reciprocity,
            valid_from=datetime(2026, 1, 1, tzinfo=timezone.utc), valid_until=valid_until,
            credential_status=[status_entry(list_credential_url=self.status_url, index=7, purpose="revocation")],
        )
        return sign_credential(unsigned, signer or self.key)


class World:
    def __init__(self) -> None:
        self.documents: dict[str, Any] = {}
        self.district = Agency(self, DISTRICT, "District A")
        self.s = Agency(self, STATE_S, "State S")
        self.t = Agency(self, STATE_T, "State T")
        self.u = Agency(self, STATE_U, "State U")

    def fetch(self, url: str) -> Any:
        try:
            return copy.deepcopy(self.documents[url])
        except KeyError:
            raise ConnectionError(f"cannot reach {url}") from None

    def verified(self, registry: dict[str, Any], expected_agency: str | None = None):
        return verify_registry(registry, resolver=DidResolver(fetch_json=self.fetch), now=now(),
                               status_fetcher=self.fetch, expected_agency=expected_agency)

    def badge(self, *, edit: str = "") -> dict[str, Any]:
        credential = rich_credential(issuer_id=DISTRICT, base_url="https://district-a.example")
        credential["credentialSubject"]["achievement"]["description"] += edit
        return sign_credential(credential, self.district.key)


def achievement_of(credential: dict[str, Any]) -> dict[str, Any]:
    return credential["credentialSubject"]["achievement"]


def entry_for(
    credential: dict[str, Any],
    *,
    credit: CountCredit | HoursCredit = CountCredit(1, 3),
    areas: tuple[str, ...] = (AREA,),
    effective_from: date = date(2026, 7, 1),
    effective_until: date | None = date(2029, 6, 30),
) -> RecognizedAchievement:
    achievement = achievement_of(credential)
    return RecognizedAchievement(
        achievement_issuer=DISTRICT, achievement_id=achievement["id"],
        definition_digest=definition_digest(achievement), endorsement_areas=areas, credit=credit,
        effective_from=effective_from, effective_until=effective_until,
    )


@pytest.fixture
def world() -> World:
    return World()


# -- the context ----------------------------------------------------------------------------------


def test_the_recognition_context_is_pinned_protected_and_has_no_vocab():
    assert RECOGNITION_V1 in PINNED_LOADER.urls
    context = PINNED_LOADER.document(RECOGNITION_V1)["@context"]
    assert context["@protected"] is True and "@vocab" not in context
    on_disk = resources.files("mcbadge.vc.contexts").joinpath("mcbadge/recognition-v1.jsonld").read_text("utf-8")
    assert json.loads(on_disk) == {"@context": context}


def test_a_protected_recognition_term_cannot_be_redefined_after_the_context():
    document = {
        "@context": [CREDENTIALS_V2, RECOGNITION_V1, {"agency": "https://attacker.example/agency"}],
        "type": ["VerifiableCredential", "RecognitionRegistryCredential"], "issuer": STATE_S,
        "credentialSubject": {"type": "RecognitionRegistry", "agency": STATE_S},
    }
    with pytest.raises(CanonicalizationError, match="protected"):
        canonicalize(document)


# -- building and signing -----------------------------------------------------------------------


def test_a_registry_is_a_signed_vc2_credential_that_verifies(world):
    badge = world.badge()
    registry = world.s.registry([entry_for(badge)])
    assert registry["@context"] == [CREDENTIALS_V2, RECOGNITION_V1]
    assert registry["type"] == ["VerifiableCredential", "RecognitionRegistryCredential"]
    assert registry["issuer"] == {"id": STATE_S, "name": "State S"}
    assert registry["credentialStatus"][0]["type"] == "BitstringStatusListEntry"
    assert registry["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    # The VC 2.0 data model's rules for what may be signed (the status entry is the builder's, not a caller's).
    unsigned = {k: v for k, v in registry.items() if k not in ("proof", "credentialStatus")}
    assert check_unsigned_credential(unsigned, expected_issuer=STATE_S) == 2
    checked = world.verified(registry, STATE_S)
    assert checked.verified, checked.problems
    outcomes = {c.code: c.outcome.value for c in checked.report.checks}
    assert {k: outcomes[k] for k in ("context", "issuer_key", "proof", "validity", "status")} == dict.fromkeys(
        ("context", "issuer_key", "proof", "validity", "status"), "passed")


def test_a_registry_with_an_undefined_term_is_refused_at_signing(world):
    unsigned = registry_credential(
        id="urn:uuid:registry-s", agency=STATE_S, entries=[entry_for(world.badge())],
        valid_from=datetime(2026, 1, 1, tzinfo=timezone.utc),
    )
    unsigned["credentialSubject"]["recognizes"][0]["renewalCycleYears"] = 5  # not defined by any context
    with pytest.raises(CanonicalizationError, match="renewalCycleYears"):
        sign_credential(unsigned, world.s.key)


def test_malformed_entries_are_refused_when_built(world):
    good = entry_for(world.badge())
    bad_entries = [
        RecognizedAchievement(**{**good.__dict__, "definition_digest": "not-a-digest"}),
        RecognizedAchievement(**{**good.__dict__, "endorsement_areas": ()}),
        RecognizedAchievement(**{**good.__dict__, "credit": CountCredit(4, 3)}),
        RecognizedAchievement(**{**good.__dict__, "effective_until": date(2020, 1, 1)}),
    ]
    for entry in bad_entries:
        with pytest.raises(RegistryError):
            registry_credential(id="urn:uuid:r", agency=STATE_S, entries=[entry],
                                valid_from=datetime(2026, 1, 1, tzinfo=timezone.utc))


def test_the_definition_digest_binds_the_exact_definition(world):
    achievement = achievement_of(world.badge())
    edited = {**achievement, "description": achievement["description"] + " (revised)"}
    assert definition_digest(achievement) == definition_digest(copy.deepcopy(achievement))
    assert definition_digest(achievement) != definition_digest(edited)
    assert definition_digest(achievement).startswith("u")


# -- recognition ---------------------------------------------------------------------------------


def test_recognised_by_the_state_for_an_area_counting_k_of_n(world):
    badge = world.badge()
    registry = world.verified(world.s.registry([entry_for(badge)]), STATE_S)
    answer = evaluate_recognition(badge, state=STATE_S, registries=[registry], on=ON, endorsement_area=AREA)
    assert answer.outcome is RecognitionOutcome.RECOGNISED and answer.recognised
    assert answer.messages == (
        "Recognised by State S for license renewal in Mathematics 6-12: counts 1 of the 3 micro-credentials "
        "required, effective 2026-07-01 to 2029-06-30",
    )
    [match] = answer.to_dict()["matches"]
    assert match == {"agency": STATE_S, "agency_name": "State S", "via": [], "endorsement_area": AREA,
                     "credit": {"kind": "count", "count": 1, "required": 3},
                     "effective_from": "2026-07-01", "effective_until": "2029-06-30"}
    # The registry is in force from January 2026; this entry only from July.
    too_soon = evaluate_recognition(badge, state=STATE_S, registries=[registry], on=date(2026, 3, 1))
    assert too_soon.outcome is RecognitionOutcome.NOT_RECOGNISED
    assert [r.code for r in too_soon.reasons] == ["entry_not_yet_effective"]


def test_hours_are_reported_for_a_state_that_counts_hours(world):
    badge = world.badge()
    registry = world.verified(world.s.registry([entry_for(badge, credit=HoursCredit(7.5), effective_until=None)]))
    answer = evaluate_recognition(badge, state=STATE_S, registries=[registry], on=ON)
    assert answer.messages == ("Recognised by State S for license renewal in Mathematics 6-12: counts 7.5 hours "
                               "toward renewal, effective 2026-07-01, with no end date",)


def test_an_expired_registry_entry_does_not_count(world):
    badge = world.badge()
    entry = entry_for(badge, effective_from=date(2024, 7, 1), effective_until=date(2026, 6, 30))
    registry = world.verified(world.s.registry([entry]), STATE_S)
    assert registry.verified  # the registry is fine; its entry has lapsed
    answer = evaluate_recognition(badge, state=STATE_S, registries=[registry], on=ON, endorsement_area=AREA)
    assert answer.outcome is RecognitionOutcome.NOT_RECOGNISED and not answer.matches
    assert [r.code for r in answer.reasons] == ["entry_expired"]
    assert answer.messages == ("Not on State S's list for Mathematics 6-12: State S's recognition expired on "
                               "2026-06-30",)
    # The same entry on a date inside its term does count.
    earlier = evaluate_recognition(badge, state=STATE_S, registries=[registry], on=date(2026, 1, 15))
    assert earlier.outcome is RecognitionOutcome.RECOGNISED


def test_a_definition_digest_mismatch_does_not_count(world):
    recognised = world.badge()
    registry = world.verified(world.s.registry([entry_for(recognised)]), STATE_S)
    new_version = world.badge(edit=" Now with a second video.")
    answer = evaluate_recognition(new_version, state=STATE_S, registries=[registry], on=ON)
    assert answer.outcome is RecognitionOutcome.NOT_RECOGNISED
    assert [r.code for r in answer.reasons] == ["digest_mismatch"]
    assert "different version" in answer.messages[0]


def test_an_achievement_not_on_the_list_and_the_wrong_area(world):
    badge = world.badge()
    registry = world.verified(world.s.registry([entry_for(badge)]), STATE_S)
    other = rich_credential(issuer_id="did:web:provider-b.example")
    answer = evaluate_recognition(other, state=STATE_S, registries=[registry], on=ON)
    assert answer.outcome is RecognitionOutcome.NOT_RECOGNISED
    assert answer.messages == ("Not on State S's list",) and [r.code for r in answer.reasons] == ["not_listed"]
    wrong_area = evaluate_recognition(badge, state=STATE_S, registries=[registry], on=ON,
                                      endorsement_area="Early Childhood")
    assert [r.code for r in wrong_area.reasons] == ["area_not_listed"]


def test_a_registry_signed_by_a_did_that_is_not_the_states(world):
    badge = world.badge()
    # T signs a registry that speaks for S (its subject names S): refused, whoever's key signed it.
    forged = world.t.registry([entry_for(badge)], issuer=STATE_T)
    forged_subject = copy.deepcopy(forged)
    forged_subject["credentialSubject"]["agency"] = STATE_S
    checked = world.verified(forged, expected_agency=STATE_S)
    assert not checked.verified
    assert f"it is signed by {STATE_T}, not by the agency it speaks for ({STATE_S})" in checked.problems
    answer = evaluate_recognition(badge, state=STATE_S, registries=[checked], on=ON)
    assert answer.outcome is RecognitionOutcome.NOT_CHECKED and not answer.recognised
    assert [r.code for r in answer.reasons] == ["registry_not_verified"]
    # Issuer S, signed with T's key: the signature is not S's.
    impostor = world.s.registry([entry_for(badge)], signer=world.t.key.bound(STATE_S))
    checked = world.verified(impostor, expected_agency=STATE_S)
    assert not checked.verified and checked.report.check("issuer_key").outcome.value == "failed"
    # Issuer T naming S as the agency (no expectation given): the subject and the signer disagree.
    assert not world.verified(forged_subject).verified


def test_a_withdrawn_registry_is_not_used(world):
    badge = world.badge()
    registry = world.s.registry([entry_for(badge)])
    world.s.status.set(7, True)
    world.s.publish_status()
    checked = world.verified(registry, STATE_S)
    assert not checked.verified and any("revoked" in p for p in checked.problems)
    answer = evaluate_recognition(badge, state=STATE_S, registries=[checked], on=ON)
    assert answer.outcome is RecognitionOutcome.NOT_CHECKED
    assert answer.messages[0].startswith("Could not check recognition by State S: State S's registry did not verify")


def test_a_remembered_registry_is_withdrawn_at_the_next_verification_and_a_changed_one_is_checked_afresh(world):
    """With a document cache, a registry's canonical form and signature are remembered by its exact bytes; its
    status is read at every verification, and a registry that differs in one character is checked afresh."""
    registry = world.s.registry([entry_for(world.badge())])
    cache: dict[bytes, Any] = {}

    def verified(document: dict[str, Any]):
        return verify_registry(document, resolver=DidResolver(fetch_json=world.fetch), now=now(),
                               status_fetcher=world.fetch, expected_agency=STATE_S, document_cache=cache)

    assert verified(registry).verified and cache
    assert verified(copy.deepcopy(registry)).verified
    changed = copy.deepcopy(registry)
    changed["credentialSubject"]["recognizes"][0]["endorsementArea"] = ["Everything"]
    checked = verified(changed)
    assert not checked.verified and any(p.startswith("proof:") for p in checked.problems), checked.problems
    world.s.status.set(7, True)
    world.s.publish_status()
    checked = verified(registry)
    assert not checked.verified and any("revoked" in p for p in checked.problems)


def test_a_registry_whose_status_cannot_be_checked_is_not_verified(world):
    registry = world.s.registry([entry_for(world.badge())])
    checked = verify_registry(registry, resolver=DidResolver(fetch_json=world.fetch), now=now(),
                              status_fetcher=None, expected_agency=STATE_S)
    assert not checked.verified and any(p.startswith("status: could not be checked") for p in checked.problems)


def test_reciprocity_is_one_step_unless_the_registry_allows_chaining(world):
    badge = world.badge()
    s = world.verified(world.s.registry([entry_for(badge)]), STATE_S)
    t = world.verified(world.t.registry([], (ReciprocityAcceptance(STATE_S),)), STATE_T)
    u_one_step = world.verified(world.u.registry([], (ReciprocityAcceptance(STATE_T),)), STATE_U)

    through_s = evaluate_recognition(badge, state=STATE_T, registries=[s, t], on=ON, endorsement_area=AREA)
    assert through_s.outcome is RecognitionOutcome.RECOGNISED_THROUGH_RECIPROCITY
    assert through_s.messages == (
        "Recognised by State T through reciprocity with State S for license renewal in Mathematics 6-12: "
        "counts 1 of the 3 micro-credentials required, effective 2026-07-01 to 2029-06-30",)
    assert through_s.matches[0].via == (STATE_S,)

    # U accepts T, and T accepts S; U's acceptance does not allow chaining, so S's list does not reach U.
    not_chained = evaluate_recognition(badge, state=STATE_U, registries=[s, t, u_one_step], on=ON)
    assert not_chained.outcome is RecognitionOutcome.NOT_RECOGNISED and not not_chained.matches

    # U's registry allows chaining through T: now S's entry counts in U, through T and S.
    u_chaining = world.verified(world.u.registry([], (ReciprocityAcceptance(STATE_T, allow_chaining=True),)))
    chained = evaluate_recognition(badge, state=STATE_U, registries=[s, t, u_chaining], on=ON)
    assert chained.outcome is RecognitionOutcome.RECOGNISED_THROUGH_RECIPROCITY
    assert chained.matches[0].via == (STATE_T, STATE_S)
    assert chained.messages[0].startswith(
        "Recognised by State U through reciprocity with State S (by way of State T) for license renewal in ")


def test_reciprocity_needs_the_other_registry_verified(world):
    badge = world.badge()
    s_registry = world.s.registry([entry_for(badge)])
    tampered = copy.deepcopy(s_registry)
    tampered["credentialSubject"]["recognizes"][0]["renewalCredit"]["creditCount"] = 3
    t = world.verified(world.t.registry([], (ReciprocityAcceptance(STATE_S),)), STATE_T)
    answer = evaluate_recognition(badge, state=STATE_T, registries=[t, world.verified(tampered, STATE_S)], on=ON)
    assert answer.outcome is RecognitionOutcome.NOT_RECOGNISED
    assert "registry_not_verified" in [r.code for r in answer.reasons]
    missing = evaluate_recognition(badge, state=STATE_T, registries=[t], on=ON)
    assert "registry_missing" in [r.code for r in missing.reasons]


def test_reciprocity_loops_end(world):
    badge = world.badge()
    s = world.verified(world.s.registry([], (ReciprocityAcceptance(STATE_T, allow_chaining=True),)), STATE_S)
    t = world.verified(world.t.registry([], (ReciprocityAcceptance(STATE_S, allow_chaining=True),)), STATE_T)
    answer = evaluate_recognition(badge, state=STATE_S, registries=[s, t], on=ON)
    assert answer.outcome is RecognitionOutcome.NOT_RECOGNISED


def test_an_expired_registry_is_not_verified(world):
    registry = world.s.registry([entry_for(world.badge())],
                                valid_until=datetime(2026, 6, 1, tzinfo=timezone.utc))
    checked = world.verified(registry, STATE_S)
    assert not checked.verified and any(p.startswith("validity:") for p in checked.problems)
    # Even if a caller passed it anyway as verified, a date after its validUntil is refused.
    forced = type(checked)(**{**checked.__dict__, "verified": True, "problems": ()})
    answer = evaluate_recognition(world.badge(), state=STATE_S, registries=[forced], on=ON + timedelta(days=1))
    assert [r.code for r in answer.reasons] == ["registry_not_valid_on_date"]


# -- a minimum scoring agreement (issue 12: quality statements) -----------------------------------------


def test_an_entry_with_a_minimum_scoring_agreement_counts_only_at_or_above_it(world):
    badge = world.badge()
    document = world.s.registry([replace(entry_for(badge), minimum_scoring_kappa=0.6)])
    # The term is the quality context's: a registry names it only when an entry uses it.
    assert document["@context"] == [CREDENTIALS_V2, RECOGNITION_V1, QUALITY_V1]
    assert document["credentialSubject"]["recognizes"][0]["minimumScoringKappa"] == 0.6
    registry = world.verified(document, STATE_S)
    assert registry.verified, registry.problems

    def answer(kappa):
        return evaluate_recognition(badge, state=STATE_S, registries=[registry], on=ON, scoring_kappa=kappa)

    assert answer(0.6).outcome is RecognitionOutcome.RECOGNISED and answer(0.78).recognised
    below = answer(0.59)
    assert below.outcome is RecognitionOutcome.NOT_RECOGNISED
    assert [(r.code, r.message) for r in below.reasons] == [(
        "scoring_agreement_below_minimum",
        "State S requires a scoring agreement of at least κ = 0.60; the issuer's latest quality statement shows "
        "κ = 0.59")]
    unknown = answer(None)
    assert [r.code for r in unknown.reasons] == ["scoring_agreement_unknown"] and not unknown.recognised
    with pytest.raises(RegistryError):
        registry_credential(id="urn:uuid:r", agency=STATE_S, valid_from=datetime(2026, 1, 1, tzinfo=timezone.utc),
                            entries=[replace(entry_for(badge), minimum_scoring_kappa=1.5)])
