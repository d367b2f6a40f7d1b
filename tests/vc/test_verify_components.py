"""verify()'s ``components`` check: a designation is verified together with every component it names."""

from __future__ import annotations

import copy
import importlib
from typing import Any

from mcbadge.vc.components import MAX_COMPONENTS, component_digest, component_media_type
from mcbadge.vc.data_integrity import sign_credential
from mcbadge.vc.jwt import encode_vc_jwt
from mcbadge.vc.verify import Outcome
from tests.factories.credentials import rich_credential
from tests.factories.world import BASE, ISSUER, World

FIRST = "urn:uuid:0b7e1a52-9c1d-4d7e-8a4b-000000000001"
SECOND = "urn:uuid:0b7e1a52-9c1d-4d7e-8a4b-000000000002"
DESIGNATION = "urn:uuid:0b7e1a52-9c1d-4d7e-8a4b-0000000000d0"


def component(world: World, credential_id: str, index: int) -> dict[str, Any]:
    unsigned = rich_credential(issuer_id=ISSUER, base_url=BASE, credential_id=credential_id)
    unsigned["credentialStatus"]["statusListIndex"] = str(index)
    return sign_credential(unsigned, world.key)


def designation(world: World, components: list[dict[str, Any] | str], ids: list[str] | None = None,
                digests: list[str] | None = None) -> dict[str, Any]:
    """A designation-shaped credential, as stacks._build makes one: each component in the evidence and bound by
    its digest in relatedResource."""
    unsigned = rich_credential(issuer_id=ISSUER, base_url=BASE, credential_id=DESIGNATION)
    ids = ids or [c["id"] for c in components if isinstance(c, dict)]
    digests = digests or [component_digest(c) for c in components]
    unsigned["evidence"] = [{"id": i, "type": ["Evidence"], "name": "Component credential"} for i in ids]
    unsigned["relatedResource"] = [
        {"id": i, "digestMultibase": d, "mediaType": component_media_type(c)}
        for i, d, c in zip(ids, digests, components, strict=True)
    ]
    unsigned["credentialStatus"]["statusListIndex"] = "7"
    return sign_credential(unsigned, world.key)


def check(report) -> tuple[str, str]:
    found = report.check("components")
    assert found is not None, [c.code for c in report.checks]
    return found.outcome.value, found.message


def test_all_components_presented_pass():
    world = World()
    parts = [component(world, FIRST, 11), component(world, SECOND, 12)]
    report = world.verify(designation(world, parts), presented_components=parts)
    assert check(report)[0] == "passed", check(report)
    assert report.verified
    assert [c["outcome"] for c in report.check("components").details["components"]] == ["passed", "passed"]


def test_components_come_from_the_fetcher_when_not_presented():
    world = World()
    parts = {FIRST: component(world, FIRST, 11), SECOND: component(world, SECOND, 12)}

    def fetch(ident: str) -> Any:
        try:
            return copy.deepcopy(parts[ident])
        except KeyError:
            raise LookupError(f"no credential {ident}") from None

    report = world.verify(designation(world, list(parts.values())), component_fetcher=fetch)
    assert check(report)[0] == "passed"


def test_a_missing_component_is_not_checked_never_passed():
    world = World()
    parts = [component(world, FIRST, 11), component(world, SECOND, 12)]
    report = world.verify(designation(world, parts), presented_components=parts[:1],
                          component_fetcher=lambda ident: (_ for _ in ()).throw(LookupError("unknown")))
    outcome, message = check(report)
    assert outcome == "not_checked" and SECOND in message and FIRST not in message
    assert report.verified  # the designation itself verifies; the report says what could not be checked
    assert "components" in report.summary


def test_a_revoked_component_fails_and_is_named():
    world = World()
    parts = [component(world, FIRST, 11), component(world, SECOND, 12)]
    document = designation(world, parts)
    world.status.set(12, True)
    world.publish_status()
    report = world.verify(document, presented_components=parts)
    outcome, message = check(report)
    assert outcome == "failed" and SECOND in message and "revoked" in message and FIRST not in message
    assert report.check("status").outcome is Outcome.PASSED  # the designation's own bit is not set
    assert not report.verified


def test_a_tampered_component_fails():
    world = World()
    parts = [component(world, FIRST, 11), component(world, SECOND, 12)]
    document = designation(world, parts)
    tampered = copy.deepcopy(parts[0])
    tampered["name"] = "Something else"
    outcome, message = check(world.verify(document, presented_components=[tampered, parts[1]]))
    assert outcome == "failed" and FIRST in message and "proof" in message and "digest does not match" in message


def test_a_different_but_valid_component_fails_the_digest():
    """Another genuine credential under the same id (re-signed): it verifies, but it is not the one counted."""
    world = World()
    parts = [component(world, FIRST, 11), component(world, SECOND, 12)]
    document = designation(world, parts)
    resigned = component(world, FIRST, 13)
    outcome, message = check(world.verify(document, presented_components=[resigned, parts[1]]))
    assert outcome == "failed" and FIRST in message and "digest does not match" in message and "proof" not in message


def test_a_recorded_digest_that_does_not_match_fails():
    world = World()
    parts = [component(world, FIRST, 11), component(world, SECOND, 12)]
    wrong = [component_digest(parts[0]), component_digest(parts[0])]
    outcome, message = check(world.verify(designation(world, parts, digests=wrong), presented_components=parts))
    assert outcome == "failed" and SECOND in message and "digest does not match" in message


def test_an_expired_component_fails():
    world = World()
    unsigned = rich_credential(issuer_id=ISSUER, base_url=BASE, credential_id=SECOND)
    unsigned["validUntil"] = "2025-06-01T00:00:00Z"
    unsigned["credentialStatus"]["statusListIndex"] = "12"
    parts = [component(world, FIRST, 11), sign_credential(unsigned, world.key)]
    outcome, message = check(world.verify(designation(world, parts), presented_components=parts))
    assert outcome == "failed" and SECOND in message and "expired" in message


def test_a_vc_jwt_component_is_bound_by_its_compact_form():
    world = World()
    unsigned = rich_credential(issuer_id=ISSUER, base_url=BASE, credential_id=SECOND)
    unsigned["credentialStatus"]["statusListIndex"] = "12"
    token = encode_vc_jwt(unsigned, world.key)
    parts: list[dict[str, Any] | str] = [component(world, FIRST, 11), token]
    document = designation(world, parts, ids=[FIRST, SECOND])
    assert check(world.verify(document, presented_components=parts))[0] == "passed"
    # The same credential, given decoded rather than as the token the digest covers: not checked, not passed.
    outcome, message = check(world.verify(document, presented_components=[parts[0], unsigned]))
    assert outcome == "not_checked" and SECOND in message and "VC-JWT form" in message


def test_a_credential_that_names_no_components_has_no_components_check():
    world = World()
    assert world.verify(world.credential()).check("components") is None


def test_designations_of_designations_are_followed_to_a_bounded_depth():
    world = World()
    chain: list[dict[str, Any]] = [component(world, FIRST, 11)]
    for level in range(1, 5):
        unsigned = rich_credential(issuer_id=ISSUER, base_url=BASE, credential_id=f"urn:uuid:{level:08d}-0000-4000-8000-000000000000")
        below = chain[-1]
        unsigned["relatedResource"] = [{"id": below["id"], "digestMultibase": component_digest(below),
                                        "mediaType": component_media_type(below)}]
        unsigned["credentialStatus"]["statusListIndex"] = str(20 + level)
        chain.append(sign_credential(unsigned, world.key))
    assert check(world.verify(chain[3], presented_components=chain[:3]))[0] == "passed"
    outcome, message = check(world.verify(chain[4], presented_components=chain[:4]))
    assert outcome == "not_checked" and "nested deeper than 3" in message, message


def _fetcher(parts: dict[str, Any]) -> Any:
    """The issuer's store: whatever ``parts`` holds at the time of the call, a fresh copy each time."""
    def fetch(ident: str) -> Any:
        try:
            return copy.deepcopy(parts[ident])
        except KeyError:
            raise LookupError(f"no credential {ident}") from None
    return fetch


def test_remembered_components_still_report_a_revocation_at_the_next_verification():
    """The canonical forms of stored components are remembered across calls; their status is not."""
    world = World()
    parts = {FIRST: component(world, FIRST, 11), SECOND: component(world, SECOND, 12)}
    document = designation(world, list(parts.values()))
    cache: dict[bytes, Any] = {}
    assert check(world.verify(document, component_fetcher=_fetcher(parts), document_cache=cache))[0] == "passed"
    assert cache, "the stored components' canonical forms are remembered"
    world.status.set(12, True)
    world.publish_status()
    outcome, message = check(world.verify(document, component_fetcher=_fetcher(parts), document_cache=cache))
    assert outcome == "failed" and SECOND in message and "revoked" in message and FIRST not in message


def test_remembered_components_changed_in_the_store_fail_signature_and_digest():
    """A stored component that changes (one word, or its proof) is checked afresh: it is not the document whose
    canonical form, signature and schema were remembered, so it fails its signature and the designation's digest."""
    world = World()
    parts = {FIRST: component(world, FIRST, 11), SECOND: component(world, SECOND, 12)}
    document = designation(world, list(parts.values()))
    cache: dict[bytes, Any] = {}
    assert check(world.verify(document, component_fetcher=_fetcher(parts), document_cache=cache))[0] == "passed"
    parts[FIRST] = {**parts[FIRST], "name": "Something else"}
    outcome, message = check(world.verify(document, component_fetcher=_fetcher(parts), document_cache=cache))
    assert outcome == "failed" and FIRST in message and "proof" in message and "digest does not match" in message
    # What depends on the document alone (its schema, here) is judged again for the changed document.
    parts[FIRST] = {**parts[FIRST], "name": 5}
    outcome, message = check(world.verify(document, component_fetcher=_fetcher(parts), document_cache=cache))
    assert outcome == "failed" and "schema:" in message and "digest does not match" in message
    # A re-signed copy under the same id: a valid signature, but not the credential the issuer counted.
    parts[FIRST] = component(world, FIRST, 13)
    outcome, message = check(world.verify(document, component_fetcher=_fetcher(parts), document_cache=cache))
    assert outcome == "failed" and "digest does not match" in message and "proof" not in message


def test_presented_components_are_not_remembered():
    """What a holder presents is canonicalized afresh (anyone may send anything): only the store's copies are kept."""
    world = World()
    parts = [component(world, FIRST, 11), component(world, SECOND, 12)]
    cache: dict[bytes, Any] = {}
    report = world.verify(designation(world, parts), presented_components=parts, document_cache=cache)
    assert check(report)[0] == "passed" and not cache


def test_a_designation_naming_more_than_the_limit_fails_unread():
    world = World()
    part = component(world, FIRST, 11)
    count = MAX_COMPONENTS + 1
    ids = [f"urn:uuid:0b7e1a52-9c1d-4d7e-8a4b-{i:012d}" for i in range(count)]
    document = designation(world, [part] * count, ids=ids)
    fetched: list[str] = []
    report = world.verify(document, component_fetcher=lambda ident: fetched.append(ident) or part)
    outcome, message = check(report)
    assert outcome == "failed" and f"names {count} components" in message and f"at most {MAX_COMPONENTS}" in message
    assert fetched == [] and not report.verified


def test_one_verification_checks_a_bounded_number_of_components_in_all(monkeypatch):
    """Nested designations count against the same budget, so naming one designation many times over cannot
    multiply the work; the components beyond it are not checked, never passed."""
    # mcbadge.vc re-exports the function verify under the module's name, hence the import by path.
    monkeypatch.setattr(importlib.import_module("mcbadge.vc.verify"), "MAX_COMPONENTS", 3)
    world = World()
    leaf = component(world, FIRST, 11)
    unsigned = rich_credential(issuer_id=ISSUER, base_url=BASE, credential_id=SECOND)
    unsigned["relatedResource"] = [{"id": FIRST, "digestMultibase": component_digest(leaf),
                                    "mediaType": component_media_type(leaf)}] * 2
    unsigned["credentialStatus"]["statusListIndex"] = "12"
    middle = sign_credential(unsigned, world.key)
    top = designation(world, [middle, middle], ids=[SECOND, SECOND])
    report = world.verify(top, presented_components=[leaf, middle])
    outcome, message = check(report)
    assert outcome == "not_checked" and "at most 3 components" in message, message
