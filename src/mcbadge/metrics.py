"""What the service counts, for ``GET /metrics`` (the Prometheus text format, prometheus-client).

One :class:`Metrics` per app, on its own registry: a process serving several apps (the tests do) never mixes
their counters, and nothing is registered globally twice. Labels are bounded: a route is its template
(``/api/v1/credentials/{credential_id}``), never the path a client sent, and outcomes and check codes come
from fixed sets. Nothing here knows HTTP; ``api/app.py`` times requests and serves the text.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE

from .vc.verify import VerificationReport

__all__ = ["CONTENT_TYPE", "Metrics"]

# Request latency buckets (seconds): from the warm verification path (a few ms) to a slow award or upload.
_LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("mcbadge_http_requests", "HTTP requests answered, by route template and status.",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("mcbadge_http_request_duration_seconds", "Time to answer, by route template.",
                                 ["method", "route"], buckets=_LATENCY_BUCKETS, registry=self.registry)
        self.awards = Counter("mcbadge_awards", "Credentials awarded (new ones; a repeated award is not counted).",
                              ["format"], registry=self.registry)
        self.verifications = Counter("mcbadge_verifications", "Credentials verified, by outcome.",
                                     ["outcome"], registry=self.registry)
        self.checks = Counter("mcbadge_verification_checks", "Checks made while verifying, by check and outcome.",
                              ["check", "outcome"], registry=self.registry)

    def verified(self, report: VerificationReport) -> None:
        self.verifications.labels("verified" if report.verified else "not_verified").inc()
        for check in report.checks:
            self.checks.labels(check.code, check.outcome.value).inc()

    def text(self) -> bytes:
        return generate_latest(self.registry)
