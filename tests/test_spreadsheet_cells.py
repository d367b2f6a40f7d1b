"""CSV cells people open in a spreadsheet (``mcbadge.spreadsheet_cells``): text that starts like a formula is
shown, not run, in every CSV mcbadge writes (here the credentials export, through its service function)."""

from __future__ import annotations

import csv
import io

import pytest

from mcbadge.credentials.export import ExportFormat, export_credentials
from mcbadge.db.models import Person
from mcbadge.spreadsheet_cells import FORMULA_START, csv_cell
from tests.factories.credentials import award_one
from tests.factories.tenants import Tenant
from tests.live_server import SQLITE_ONLY, LiveServer


@pytest.mark.parametrize(("value", "text"), [
    (None, ""), (True, "yes"), (False, "no"), (0, "0"), (-3, "-3"), (0.5, "0.5"), (2.0, "2"), (1 / 3, "0.3333"),
    ("Ada", "Ada"), ("a=b", "a=b"), ("", ""),
    *[(f"{start}HYPERLINK(\"https://evil.example\")", f"'{start}HYPERLINK(\"https://evil.example\")")
      for start in FORMULA_START],
])
def test_a_cell_is_text_a_spreadsheet_shows_and_never_runs(value: object, text: str) -> None:
    assert csv_cell(value) == text


@SQLITE_ONLY
def test_the_credentials_export_guards_names_typed_by_people(server: LiveServer, tenant: Tenant) -> None:
    award_one(server, tenant)
    with server.app.state.services.sessions() as session, session.begin():
        session.get_one(Person, tenant.educator.id).name = "=HYPERLINK(\"https://evil.example\",\"Ada\")"
    out = io.StringIO()
    with server.app.state.services.sessions() as session:
        assert export_credentials(session, out, ExportFormat.CSV, public_base_url=server.base_url) == 1
    [row] = csv.DictReader(io.StringIO(out.getvalue()))
    assert row["educator_name"] == "'=HYPERLINK(\"https://evil.example\",\"Ada\")"
    assert row["credential"].startswith("{")  # the credential itself is untouched JSON
