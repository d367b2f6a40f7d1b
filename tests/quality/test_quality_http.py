"""The quality report over HTTP (JSON, CSV, roles, suppression, problems) on figures seeded in the database
with hand-computed values (tests/factories/quality.py)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from mcbadge.db.models import Role
from mcbadge.quality.service import last_full_quarter
from tests.factories import quality as seeded

REPORT = "/api/v1/quality/report"


def _quarter() -> tuple[datetime, datetime]:
    first, last = last_full_quarter(datetime.now(timezone.utc).date())
    return (datetime.combine(first, datetime.min.time(), timezone.utc),
            datetime.combine(last, datetime.min.time(), timezone.utc))


def test_the_report_gives_the_hand_computed_figures_as_json_and_csv_to_admins_only(server, client, tenant):
    start, last = _quarter()
    now = datetime.now(timezone.utc)
    seed = seeded.seed_double_scored(server.app.state.services.sessions, tenant, start, now)
    params = {"from": start.date().isoformat(), "to": last.date().isoformat()}

    response = client.get(REPORT, params=params, headers=tenant.headers())
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "private, no-store"
    report = response.json()
    assert (report["sla_days"], report["min_cell"]) == (14, 10)
    [mc] = report["microcredentials"]
    figures = mc["figures"]
    assert (mc["key"], figures["decided"], figures["double_scored"]) == (seed.key, 12, 12)
    assert figures["double_scoring_rate"] == 1.0
    assert figures["agreement"]["exact"] == pytest.approx(seeded.OVERALL_EXACT)
    checks, reflection = figures["criteria"]
    assert checks["criterion"] == "varied-checks"
    assert checks["agreement"]["kappa"] == pytest.approx(seeded.CHECKS_KAPPA)
    assert checks["agreement"]["exact"] == pytest.approx(seeded.CHECKS_EXACT)
    assert reflection["agreement"]["kappa"] == pytest.approx(1.0)
    # Not yet by the deciding (second, latest) scores: varied-checks on 6-9, reflection on 10-11.
    assert checks["not_yet_rate"] == pytest.approx(4 / 12) and reflection["not_yet_rate"] == pytest.approx(2 / 12)
    turnaround = figures["turnaround"]
    assert turnaround["median_days"] == pytest.approx(1.0) and turnaround["within_sla"] == 1.0
    assert [o["submission"] for o in figures["overdue"]] == [str(seed.overdue)]
    # Assessors: first 12 (shown), second 10 (hidden with third, 2, so third cannot be recovered), names given.
    cells = {a["assessor"]: a["agreement"] for a in figures["assessors"]}
    assert not cells[str(seed.first)]["suppressed"]
    assert cells[str(seed.second)]["suppressed"] and cells[str(seed.third)]["kappa"] is None
    assert report["assessors"][str(seed.first)] == "Avery First"

    table = client.get(REPORT, params={**params, "format": "csv"}, headers=tenant.headers())
    assert table.status_code == 200 and table.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(table.text)))
    [row] = [r for r in rows if r["dimension"] == "criterion" and r["cell"] == "varied-checks"]
    assert float(row["weighted_kappa"]) == pytest.approx(seeded.CHECKS_KAPPA, abs=1e-4)
    [third] = [r for r in rows if r["dimension"] == "assessor" and r["cell"] == str(seed.third)]
    assert (third["suppressed"], third["exact_agreement"], third["n"]) == ("yes", "", "2")
    assert [r["cell"] for r in rows if r["dimension"] == "overdue"] == [str(seed.overdue)]

    for role in (Role.ASSESSOR, Role.EDUCATOR):
        refused = client.get(REPORT, params=params, headers=tenant.headers(role))
        assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"

    # A larger minimum suppresses the agreement cells (12 double-scored submissions < 13), never a 500.
    raised = client.patch("/api/v1/issuer", json={"quality_min_cell": 13, "quality_sla_days": 30},
                          headers=tenant.headers())
    assert raised.status_code == 200 and raised.json()["quality_min_cell"] == 13
    small = client.get(REPORT, params=params, headers=tenant.headers()).json()["microcredentials"][0]["figures"]
    assert small["agreement"] == {"n": 12, "pairs": 24, "suppressed": True, "exact": None, "adjacent": None,
                                  "kappa": None}
    assert all(c["agreement"]["kappa"] is None and c["not_yet_rate"] is None for c in small["criteria"])
    assert small["turnaround"]["sla_days"] == 30 and small["overdue"] == []  # 20 days waiting is within 30

    backwards = client.get(REPORT, params={"from": "2026-03-01", "to": "2026-01-01"}, headers=tenant.headers())
    assert backwards.status_code == 422 and backwards.json()["type"].endswith("invalid-period")
    too_small = client.patch("/api/v1/issuer", json={"quality_min_cell": 2}, headers=tenant.headers())
    assert too_small.status_code == 422
    for bad in ({"from": "not-a-date"}, {"format": "xml"}, {"microcredential": "k" * 101}):
        refused = client.get(REPORT, params=bad, headers=tenant.headers())
        assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
