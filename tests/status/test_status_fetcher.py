"""StatusListFetcher: HTTP caching (max-age, ETag/304, no-store, Age), the list's ttl, the age it reports,
and what verify() makes of it (age in the status check; unreachable -> "could not be checked")."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from mcbadge.outbound import FetchFailed, FetchPolicy, FetchRefused, OutboundClient
from mcbadge.resolution import StatusListFetch, StatusListFetcher
from mcbadge.vc.data_integrity import sign_credential
from mcbadge.vc.dids import DidResolver, did_web_document, did_web_to_url
from mcbadge.vc.keys import Ed25519KeyPair
from mcbadge.vc.status_list import BitstringStatusList, status_list_credential
from mcbadge.vc.verify import Outcome, verify

from tests.factories.credentials import rich_credential
from tests.local_servers import LocalServer, record_connects, send


class Clock:
    """A wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class ListServer:
    """Serves one JSON document at /list with chosen caching headers, answering If-None-Match with 304."""

    def __init__(self, server: LocalServer, document: dict[str, Any], headers: dict[str, str] | None = None,
                 etag: bool = True) -> None:
        self.server = server
        self.document = document
        self.headers = dict(headers or {})
        self.etag = etag
        self.not_modified = 0
        server.routes["/list"] = self.handle

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        body = json.dumps(self.document).encode()
        tag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        headers = dict(self.headers)
        if self.etag:
            headers["ETag"] = tag
            if handler.headers.get("If-None-Match") == tag:
                self.not_modified += 1
                handler.send_response(304)
                for name, value in headers.items():
                    handler.send_header(name, value)
                handler.send_header("Content-Length", "0")
                handler.end_headers()
                return
        send(handler, 200, body, headers, content_type="application/vc+ld+json")

    @property
    def url(self) -> str:
        return self.server.url("/list")

    @property
    def hits(self) -> int:
        return self.server.hits["/list"]


def a_list(ttl: int | None = None, marker: str = "v1") -> dict[str, Any]:
    subject: dict[str, Any] = {"type": "BitstringStatusList", "statusPurpose": "revocation", "marker": marker}
    if ttl is not None:
        subject["ttl"] = ttl
    return {"type": ["VerifiableCredential", "BitstringStatusListCredential"], "credentialSubject": subject}


@pytest.fixture
def server() -> Any:
    with LocalServer() as local:
        yield local


@pytest.fixture
def clock() -> Clock:
    return Clock()


def fetcher_for(clock: Clock, **options: Any) -> StatusListFetcher:
    return StatusListFetcher(OutboundClient(FetchPolicy.for_tests()), clock=clock, **options)


def test_max_age_serves_from_cache_then_revalidates_with_etag(server: LocalServer, clock: Clock) -> None:
    lists = ListServer(server, a_list(), {"Cache-Control": "public, max-age=300"})
    fetcher = fetcher_for(clock)
    first = fetcher(lists.url)
    assert isinstance(first, StatusListFetch) and not first.from_cache and first.age_seconds == 0
    assert first.credential["credentialSubject"]["marker"] == "v1"

    clock.now += 120
    second = fetcher(lists.url)
    assert second.from_cache and second.age_seconds == 120 and lists.hits == 1
    assert fetcher.last_age(lists.url) == 120

    clock.now += 200  # 320 s: stale; revalidated with the ETag, the server says 304
    third = fetcher(lists.url)
    assert lists.hits == 2 and lists.not_modified == 1
    assert server.requests[-1]["if-none-match"].startswith('"')
    assert not third.from_cache and third.age_seconds == 0 and third.fetched_at == clock.now
    assert third.credential == first.credential

    clock.now += 10  # the 304 renewed freshness for another max-age
    assert fetcher(lists.url).from_cache and lists.hits == 2


def test_a_changed_list_replaces_the_cached_one(server: LocalServer, clock: Clock) -> None:
    lists = ListServer(server, a_list(), {"Cache-Control": "max-age=60"})
    fetcher = fetcher_for(clock)
    fetcher(lists.url)
    lists.document = a_list(marker="v2")  # e.g. a revocation: new bytes, new ETag
    assert fetcher(lists.url).credential["credentialSubject"]["marker"] == "v1"  # still fresh
    clock.now += 61
    assert fetcher(lists.url).credential["credentialSubject"]["marker"] == "v2"
    assert lists.not_modified == 0 and lists.hits == 2


@pytest.mark.parametrize(("max_age", "ttl_ms", "fresh_for"), [
    (300, 10_000, 10),  # the list's ttl is shorter: it wins
    (30, 600_000, 30),  # max-age is shorter: it wins
    (None, 45_000, 45),  # ttl alone
    (20, None, 20),  # max-age alone
])
def test_the_smaller_of_max_age_and_ttl_wins(server: LocalServer, clock: Clock, max_age: int | None,
                                             ttl_ms: int | None, fresh_for: int) -> None:
    headers = {"Cache-Control": f"max-age={max_age}"} if max_age is not None else {}
    lists = ListServer(server, a_list(ttl=ttl_ms), headers, etag=False)
    fetcher = fetcher_for(clock)
    fetcher(lists.url)
    clock.now += fresh_for - 1
    assert fetcher(lists.url).from_cache and lists.hits == 1
    clock.now += 2
    assert not fetcher(lists.url).from_cache and lists.hits == 2


def test_without_freshness_information_every_use_revalidates(server: LocalServer, clock: Clock) -> None:
    lists = ListServer(server, a_list())
    fetcher = fetcher_for(clock)
    fetcher(lists.url)
    fetcher(lists.url)
    assert lists.hits == 2 and lists.not_modified == 1  # cheap: a 304 with no body


@pytest.mark.parametrize("directive", ["no-store", "no-cache", "max-age=0"])
def test_no_store_and_no_cache_are_honoured(server: LocalServer, clock: Clock, directive: str) -> None:
    lists = ListServer(server, a_list(ttl=600_000), {"Cache-Control": directive})
    fetcher = fetcher_for(clock)
    fetcher(lists.url)
    fetcher(lists.url)
    assert lists.hits == 2
    assert lists.not_modified == (0 if directive == "no-store" else 1)  # no-store keeps nothing to revalidate


def test_age_header_from_a_cache_on_the_way_counts(server: LocalServer, clock: Clock) -> None:
    lists = ListServer(server, a_list(), {"Cache-Control": "max-age=300", "Age": "250"}, etag=False)
    fetcher = fetcher_for(clock)
    first = fetcher(lists.url)
    assert first.age_seconds == 250 and first.fetched_at == clock.now - 250
    clock.now += 40
    assert fetcher(lists.url).age_seconds == 290
    clock.now += 20  # 310 s since the origin made it: stale
    fetcher(lists.url)
    assert lists.hits == 2


def test_failures_are_raised_and_a_stale_copy_is_never_served(server: LocalServer, clock: Clock) -> None:
    lists = ListServer(server, a_list(), {"Cache-Control": "max-age=10"})
    fetcher = fetcher_for(clock)
    fetcher(lists.url)
    del server.routes["/list"]  # now 404
    clock.now += 11
    with pytest.raises(FetchFailed, match="HTTP 404"):
        fetcher(lists.url)
    with pytest.raises(FetchRefused):
        StatusListFetcher(OutboundClient()).fetch("https://10.0.0.1/status/1")


def test_own_lists_are_read_locally(clock: Clock) -> None:
    seen: list[str] = []

    def local(url: str) -> dict[str, Any]:
        seen.append(url)
        return a_list(marker="local")

    fetcher = StatusListFetcher(OutboundClient(), clock=clock, local=local, own_base_url="https://badges.example")
    with record_connects() as connects:
        result = fetcher("https://badges.example/issuers/d/status/revocation/1")
    assert result.credential["credentialSubject"]["marker"] == "local" and result.age_seconds == 0
    assert seen == ["https://badges.example/issuers/d/status/revocation/1"] and connects == []


# --------------------------------------------------------------------------------------------------
# verify() with the fetcher
# --------------------------------------------------------------------------------------------------

ISSUER = "did:web:district.example"
BASE = "https://district.example"


class Issuer:
    def __init__(self, server: LocalServer) -> None:
        self.key = Ed25519KeyPair.generate().bound(ISSUER)
        self.resolver = DidResolver(fetch_json={did_web_to_url(ISSUER): did_web_document(ISSUER, [self.key.public_key])}.__getitem__)
        self.status = BitstringStatusList()
        self.server = server

    def credential(self, status_url: str) -> dict[str, Any]:
        unsigned = rich_credential(issuer_id=ISSUER, base_url=BASE)
        unsigned["credentialStatus"] = {**unsigned["credentialStatus"], "statusListCredential": status_url,
                                        "id": status_url + "#94567"}
        return sign_credential(unsigned, self.key)

    def status_list(self, url: str) -> dict[str, Any]:
        return sign_credential(status_list_credential(id=url, issuer=ISSUER, status_purpose="revocation",
                                                      encoded_list=self.status.encode()), self.key)


def test_verify_reports_how_old_the_status_is(server: LocalServer, clock: Clock) -> None:
    issuer = Issuer(server)
    url = server.url("/list")
    lists = ListServer(server, issuer.status_list(url), {"Cache-Control": "max-age=300"})
    fetcher = StatusListFetcher(OutboundClient(FetchPolicy.for_tests()), clock=clock)
    credential = issuer.credential(url)
    now = datetime.now(timezone.utc)

    report = verify(credential, resolver=issuer.resolver, status_fetcher=fetcher, now=now)
    status = report.check("status")
    assert status is not None and status.outcome is Outcome.PASSED, status
    assert status.details["age_seconds"] == 0 and "status checked just now" in status.message

    clock.now += 42
    status = verify(credential, resolver=issuer.resolver, status_fetcher=fetcher, now=now).check("status")
    assert status is not None and status.outcome is Outcome.PASSED
    assert status.details["age_seconds"] == 42 and "status checked 42 seconds ago" in status.message
    assert lists.hits == 1

    # Revoked: the failing check carries the age too.
    issuer.status.set(94567, True)
    lists.document = issuer.status_list(url)
    clock.now += 300
    status = verify(credential, resolver=issuer.resolver, status_fetcher=fetcher, now=now).check("status")
    assert status is not None and status.outcome is Outcome.FAILED and "revoked" in status.message
    assert status.details["age_seconds"] == 0


def test_plain_dict_fetchers_still_work_without_an_age(server: LocalServer) -> None:
    issuer = Issuer(server)
    url = "https://district.example/status/1"
    lists = {url: issuer.status_list(url)}
    report = verify(issuer.credential(url), resolver=issuer.resolver, status_fetcher=lists.__getitem__,
                    now=datetime.now(timezone.utc))
    status = report.check("status")
    assert status is not None and status.outcome is Outcome.PASSED and "age_seconds" not in status.details


@pytest.mark.parametrize("where", ["unreachable", "forbidden"])
def test_an_unreachable_status_list_could_not_be_checked(server: LocalServer, where: str) -> None:
    issuer = Issuer(server)
    url = server.url("/nothing-here") if where == "unreachable" else "https://169.254.169.254/status/1"
    fetcher = StatusListFetcher(OutboundClient(FetchPolicy.for_tests()))
    report = verify(issuer.credential(url), resolver=issuer.resolver, status_fetcher=fetcher,
                    now=datetime.now(timezone.utc))
    status = report.check("status")
    assert status is not None and status.outcome is Outcome.NOT_CHECKED
    assert "could not be checked" in status.message
    assert ("HTTP 404" if where == "unreachable" else "link-local") in status.message
    assert report.verified  # an unchecked status is reported, not turned into a pass or a failure
