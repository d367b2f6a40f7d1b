"""What the service counts, for ``GET /metrics`` (the Prometheus text format, prometheus-client).

One :class:`Metrics` per app, on its own registry: a process serving several apps (the tests do) never mixes
their counters, and nothing is registered globally twice. Labels are bounded: a route is its template
(``/api/v1/credentials/{credential_id}``), never the path a client sent, and outcomes and check codes come
from fixed sets. Nothing here knows HTTP; ``api/app.py`` times requests and serves the text.

Status-list signatures are counted by the one function that signs a list (``status.service``), which has no app
to ask for its metrics: :data:`STATUS_LIST_SIGNS` is the process's, and every app's registry reports it.

Several workers (``mcbadge serve --workers N``)
-----------------------------------------------
Each worker is a process with its own counters, and a scrape reaches one of them. ``serve`` therefore runs the
workers in prometheus-client's multiprocess mode: it sets ``PROMETHEUS_MULTIPROC_DIR`` (a new directory, or the
one given, emptied) before the workers start, every value is kept in a memory-mapped file there, and
:meth:`Metrics.text` adds up every worker's files, so any worker's ``/metrics`` answers for the whole service.
Counters and histograms are summed; the gauge of running imports counts the live workers' only (``livesum``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

from .vc.verify import VerificationReport

__all__ = ["CONTENT_TYPE", "MULTIPROCESS_DIR", "STATUS_LIST_SIGNS", "Metrics", "multiprocess_dir", "worker_exited"]

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
"""prometheus-client's own variable: set, every value lives in files there, shared by the workers."""

# Request latency buckets (seconds): from the warm verification path (a few ms) to a slow award or upload.
_LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

STATUS_LIST_SIGNS = Counter("mcbadge_status_list_signs", "Status lists signed: a new list, or a list re-signed "
                            "after a revocation, suspension or reinstatement changed its bits.", ["purpose"],
                            registry=None)


def multiprocess_dir() -> str | None:
    """The multiprocess directory when this process is one of several workers, else None."""
    return os.environ.get(MULTIPROCESS_DIR) or None


def worker_exited(pid: int) -> None:
    """Forget a worker's live gauges (its counters stay counted): called as the worker shuts down."""
    if multiprocess_dir():
        mark_process_dead(pid)


class _ProcessMetrics(Collector):
    """The process-wide counters (:data:`STATUS_LIST_SIGNS`), reported by each app's registry."""

    def collect(self) -> Iterable[Metric]:
        return STATUS_LIST_SIGNS.collect()


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
        self.fetches = Counter("mcbadge_outbound_fetches", "Outbound fetches (DID documents, status lists, "
                               "registries), by result: ok, not_modified (304), refused (the policy forbade the "
                               "address; nothing sent), failed (unreachable, timeout, too large, HTTP error).",
                               ["result"], registry=self.registry)
        self.import_rows = Counter("mcbadge_award_import_rows", "Rows of award imports decided so far (progress), "
                                   "as each batch commits.", registry=self.registry)
        self.import_outcomes = Counter("mcbadge_award_import_outcomes", "Rows of finished award imports, by "
                                       "outcome: awarded, already_awarded, refused.", ["outcome"],
                                       registry=self.registry)
        self.imports = Counter("mcbadge_award_imports", "Award import runs that ended, by result: done or failed.",
                               ["result"], registry=self.registry)
        self.imports_running = Gauge("mcbadge_award_imports_running", "Award import runs in progress.",
                                     registry=self.registry, multiprocess_mode="livesum")
        self.registry.register(_ProcessMetrics())

    def verified(self, report: VerificationReport) -> None:
        self.verifications.labels("verified" if report.verified else "not_verified").inc()
        for check in report.checks:
            self.checks.labels(check.code, check.outcome.value).inc()

    def fetched(self, result: str) -> None:
        self.fetches.labels(result).inc()

    def text(self) -> bytes:
        directory = multiprocess_dir()
        if directory is None:
            return generate_latest(self.registry)
        # Every worker's values, from the files they keep in the shared directory.
        combined = CollectorRegistry()
        MultiProcessCollector(combined, path=directory)
        return generate_latest(combined)
