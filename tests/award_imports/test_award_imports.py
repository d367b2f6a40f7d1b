"""Bulk awards from CSV, on SQLite and PostgreSQL: the command line (on the server's database and keys, in this
process: tests/command_line.py; the run killed in the middle is a real subprocess) and the API job (real HTTP).
Good rows are awarded with the file's date and levels and verify like any award; bad rows are reported with their
number and reason; a file run twice awards nothing twice; a run killed with SIGKILL in the middle is finished by
running the file again, every row awarded once and no status index given twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import httpx
from sqlalchemy import func, select

from mcbadge.award_imports import service
from mcbadge.credentials.build import digest_multibase_from_hex
from mcbadge.db.models import (
    AwardImport,
    Credential,
    ImportedAward,
    Issuer,
    MicroCredential,
    Person,
    Role,
    StatusEntry,
    StatusList,
    Submission,
)
from mcbadge.vc.json_values import as_list
from mcbadge.vc.qualification import qualification_digest
from mcbadge.vc.verify import Outcome
from tests.assertions import assert_all_passed, assert_problem, verify_live
from tests.command_line import Ran, mcbadge_in_process
from tests.factories import qualifications as q
from tests.factories.award_imports import (
    BELOW_RUBRIC_LEVELS,
    award_file,
    award_row,
    many_rows,
    read_result,
    sha256,
)
from tests.factories.tenants import Tenant, awarded_microcredential
from tests.live_server import LiveServer, cli_env

TODAY = date.today()


def _days_ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def _mc(server: LiveServer, tenant: Tenant, key: str) -> MicroCredential:
    with server.app.state.services.sessions() as session, session.begin():
        return awarded_microcredential(session, tenant.issuer, key=key)


def _import(server: LiveServer, csv_file: Path, *args: str) -> Ran:
    """``mcbadge awards import`` run in this process on the server's database and keys; a subprocess costs
    seconds under load. The killed run below is a real subprocess."""
    return mcbadge_in_process(cli_env(server), "awards", "import", str(csv_file), *args)


def _count(server: LiveServer, query) -> int:  # noqa: ANN001 - a select of one count
    with server.app.state.services.sessions() as session:
        return session.scalar(query) or 0


def test_an_award_file_awards_its_good_rows_and_reports_the_bad_ones(server: LiveServer, client: httpx.Client,
                                                                     tenant: Tenant, tmp_path: Path) -> None:
    key, assessor = _mc(server, tenant, "cfu-history").key, tenant.assessor.email
    (tmp_path / "plans").mkdir()
    plan = tmp_path / "plans" / "ann-plan.pdf"
    plan.write_bytes(b"%PDF-1.4 Ann's lesson plan")
    evidence = (f"lesson-plan=plans/ann-plan.pdf|sha256:{sha256(plan.read_bytes())};"
                f"video=https://videos.example.org/ann|sha256:{sha256(b'video')};reflection=sha256:{sha256(b'text')}")
    awarded_on = _days_ago(200)
    rows = [
        # 2: a new educator; evidence as a file (with its digest), a URL with a digest, a digest alone
        award_row("ann@district.example.org", name="Ann Teacher", external_id="SIS-1", key=key, assessor=assessor,
                  evidence=evidence, awarded_on=awarded_on),
        # 3: an educator already here (no name needed); a date-time with its zone
        award_row(tenant.educator.email, key=key, assessor=assessor, awarded_on=f"{_days_ago(100)}T14:30:00-05:00",
                  n=3),
        # 4-11: refused, each for its own reason
        award_row("bo@district.example.org", name="Bo", key=key, assessor=assessor, levels=BELOW_RUBRIC_LEVELS),
        award_row("cy@district.example.org", name="Cy", key=key, version=2, assessor=assessor),
        award_row("di@district.example.org", name="Di", key=key, assessor=tenant.admin.email),
        award_row("ANN@district.example.org", key=key, assessor=assessor, awarded_on=awarded_on),
        award_row("ed@district.example.org", name="Ed", key=key, assessor=assessor,
                  evidence=f"lesson-plan=plans/ann-plan.pdf|sha256:{'0' * 64};reflection=sha256:{sha256(b'r')}"),
        award_row("fay@district.example.org", name="Fay", key=key, assessor=assessor,
                  evidence="video=https://videos.example.org/fay"),
        award_row("gus@district.example.org", name="Gus", key=key, assessor=assessor,
                  awarded_on=(TODAY + timedelta(days=2)).isoformat()),
        award_row("hal@district.example.org", key=key, assessor=assessor),
        # 12: awarded long ago: issued, already expired under the organisation's 1095 days of validity
        award_row("ivy@district.example.org", name="Ivy", key=key, assessor=assessor, awarded_on=_days_ago(1200),
                  n=12),
    ]
    awards = tmp_path / "awards.csv"
    awards.write_text(award_file(rows), encoding="utf-8")

    first = _import(server, awards, "--tenant", tenant.issuer.slug)
    assert first.returncode == 1, first.stderr
    assert first.stdout.strip().endswith(f"3 awarded, 0 already awarded, 8 refused (of 11 rows); result: {tmp_path / 'awards.result.csv'}")
    assert "Traceback" not in first.stderr and "PRIVATE" not in first.stdout + first.stderr
    result = read_result((tmp_path / "awards.result.csv").read_text(encoding="utf-8"))
    assert [(r["row"], r["status"]) for r in result] == [
        ("2", "awarded"), ("3", "awarded"), ("4", "refused"), ("5", "refused"), ("6", "refused"), ("7", "refused"),
        ("8", "refused"), ("9", "refused"), ("10", "refused"), ("11", "refused"), ("12", "awarded")]
    reasons = {r["row"]: r["reason"] for r in result}
    assert "adjusts at developing is below the required proficient" in reasons["4"]
    assert f"no published micro-credential {key} version 2" in reasons["5"]
    assert f"{tenant.admin.email} is not an assessor" in reasons["6"] and "admin" in reasons["6"]
    assert reasons["7"] == "the same award as row 2 (educator, micro-credential version and award date)"
    assert f"has the sha256 {sha256(plan.read_bytes())}, not the {'0' * 64}" in reasons["8"]
    assert reasons["9"] == "evidence: nothing for the required lesson-plan, reflection"
    assert "is in the future" in reasons["10"]
    assert reasons["11"] == "hal@district.example.org is new here: give educator_name to create them"
    expiry = date.fromisoformat(_days_ago(1200)) + timedelta(days=1095)
    assert reasons["12"] == f"expired on {expiry:%Y-%m-%d} (1095 days after the award)"
    assert reasons["2"] == reasons["3"] == ""
    ann = result[0]
    assert ann["educator_external_id"] == "SIS-1" and ann["credential_url"] == f"{server.base_url}/credentials/{ann['credential_id']}"

    # The awarded credentials: served at their URL, verified like any award, with the file's date and levels.
    document = client.get(ann["credential_url"], headers={"Accept": "application/json"}).json()
    assert_all_passed(verify_live(server, document))
    assert document["credentialStatus"]["statusPurpose"] == "revocation"  # suspension off: one entry, as any award
    assert document["validFrom"] == f"{awarded_on}T00:00:00Z"
    assert document["validUntil"] == f"{date.fromisoformat(awarded_on) + timedelta(days=1095)}T00:00:00Z"
    assert sorted(r["achievedLevel"].rsplit("-", 1)[-1] for r in document["credentialSubject"]["result"]) == [
        "exemplary", "proficient", "proficient"]
    assert {r["digestMultibase"] for r in document["relatedResource"]} == {
        digest_multibase_from_hex(sha256(data)) for data in (plan.read_bytes(), b"video", b"text")}
    assert (server.settings.blob_dir / sha256(plan.read_bytes())[:2]).is_dir()  # the file is in the store
    second_document = client.get(result[1]["credential_url"], headers={"Accept": "application/json"}).json()
    assert_all_passed(verify_live(server, second_document))
    assert second_document["validFrom"] == f"{_days_ago(100)}T19:30:00Z"
    expired = verify_live(server, client.get(result[-1]["credential_url"], headers={"Accept": "application/json"}).json())
    assert expired.check("validity").outcome is Outcome.FAILED and expired.check("proof").outcome is Outcome.PASSED
    with server.app.state.services.sessions() as session:
        created = session.scalars(select(Person).where(Person.email == "ann@district.example.org")).one()
        assert created.name == "Ann Teacher" and created.role.value == "educator"
        assert session.scalar(select(func.count()).select_from(Person).where(Person.email.in_(
            ["bo@district.example.org", "hal@district.example.org"]))) == 0  # refused rows create no one

    # The same file again: nothing is awarded twice; the awarded rows name their credentials.
    second = _import(server, awards, "--tenant", tenant.issuer.slug)
    assert second.returncode == 1, second.stderr
    assert "0 awarded, 3 already awarded, 8 refused (of 11 rows)" in second.stdout
    again = read_result((tmp_path / "awards.result.csv").read_text(encoding="utf-8"))
    assert [(r["row"], r["status"], r["credential_id"]) for r in again if r["status"] != "refused"] == [
        (r["row"], "already-awarded", r["credential_id"]) for r in result if r["status"] == "awarded"]
    assert _count(server, select(func.count()).select_from(Credential).where(Credential.issuer_id == tenant.issuer.id)) == 3

    # An organisation that does not exist, a file that cannot be read: one line, exit 2.
    unknown = _import(server, awards, "--tenant", "nobody")
    assert unknown.returncode == 2 and unknown.stderr.strip().splitlines()[-1] == "mcbadge: error: no organisation 'nobody' on this service"
    headless = tmp_path / "headless.csv"
    headless.write_text("email,name\nx@y.org,X\n", encoding="utf-8")
    refused = _import(server, headless, "--tenant", tenant.issuer.slug)
    assert refused.returncode == 2 and "unknown column(s) 'email', 'name'" in refused.stderr.strip().splitlines()[-1]


def _process_group_alive(pgid: int) -> list[int]:
    alive = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                alive.append(int(entry.name))
    return alive


def test_a_run_killed_in_the_middle_is_finished_by_running_the_file_again(server: LiveServer, tenant: Tenant,
                                                                         tmp_path: Path) -> None:
    mc = _mc(server, tenant, "cfu-killed")
    with server.app.state.services.sessions() as session, session.begin():
        # Suspension on: each credential holds two status entries (revocation and suspension), both drawn in bulk.
        session.get_one(Issuer, tenant.issuer.id).suspension_status = True
    # 300 rows in batches of 3: the first commit comes a second or more before the last, however fast the machine
    # (with 120 a CI machine once committed all of them between two polls).
    rows = many_rows(300, key=mc.key, assessor=tenant.assessor.email)
    awards = tmp_path / "awards.csv"
    awards.write_text(award_file(rows), encoding="utf-8")
    imported = select(func.count()).select_from(ImportedAward).where(ImportedAward.issuer_id == tenant.issuer.id)

    # Small batches, so that the kill lands between commits; killed as soon as the first batch is committed.
    run = subprocess.Popen([sys.executable, "-m", "mcbadge.cli", "awards", "import", str(awards), "--tenant",
                            tenant.issuer.slug, "--batch-size", "3", "--workers", "2"], env=cli_env(server),
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while _count(server, imported) == 0 and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        os.killpg(run.pid, signal.SIGSTOP)  # frozen at once, the run and its signing workers; then killed
        os.kill(run.pid, signal.SIGKILL)
        run.wait(timeout=30)
        os.killpg(run.pid, signal.SIGCONT)  # the workers go on, and must find their run gone
        at_kill = _count(server, imported)
        assert run.returncode == -signal.SIGKILL, run.stderr.read() if run.stderr else ""
        assert 0 < at_kill < len(rows), f"the kill did not land in the middle of the run ({at_kill} rows committed)"
        # The signing workers end with the process that ran them (they read the end of their task queue).
        deadline = time.monotonic() + 30
        while _process_group_alive(run.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _process_group_alive(run.pid), "signing workers outlived the killed run"
    finally:
        if _process_group_alive(run.pid):
            os.killpg(run.pid, signal.SIGKILL)
        if run.stderr:
            run.stderr.close()
    with server.app.state.services.sessions() as session:
        interrupted = session.scalars(select(AwardImport).where(AwardImport.issuer_id == tenant.issuer.id)).one()
        assert interrupted.status.value == "running" and interrupted.finished_at is None

    again = _import(server, awards, "--tenant", tenant.issuer.slug, "--batch-size", "25")  # the next run
    assert again.returncode == 0, again.stderr
    assert f"{len(rows) - at_kill} awarded, {at_kill} already awarded, 0 refused (of {len(rows)} rows)" in again.stdout
    result = read_result((tmp_path / "awards.result.csv").read_text(encoding="utf-8"))
    assert len(result) == len(rows) and len({r["credential_id"] for r in result}) == len(rows)

    # Every row once; each credential's status entries are its own and the ones its signed document names.
    with server.app.state.services.sessions() as session:
        credentials = session.scalars(select(Credential).where(Credential.microcredential_id == mc.id)).all()
        assert len(credentials) == len(rows) == session.scalar(imported)
        assert session.scalar(select(func.count()).select_from(Submission).where(
            Submission.microcredential_id == mc.id)) == len(rows)
        seqs = {row.id: row.seq for row in session.execute(select(StatusList.id, StatusList.seq))}
        entries = [(c.revocation_list_id, c.revocation_index) for c in credentials] + \
                  [(c.suspension_list_id, c.suspension_index) for c in credentials]
        assert len(set(entries)) == len(entries) == 2 * len(rows)
        assert session.scalar(select(func.count()).select_from(StatusEntry)) == 2 * len(rows)  # none left over
        for credential in credentials:
            named = {(e["statusPurpose"], int(e["statusListIndex"]), e["statusListCredential"].rsplit("/", 1)[1])
                     for e in as_list(credential.document["credentialStatus"])}
            assert named == {("revocation", credential.revocation_index, str(seqs[credential.revocation_list_id])),
                             ("suspension", credential.suspension_index, str(seqs[credential.suspension_list_id]))}
        documents = [c.document for c in credentials]
    # The lists verify (each is fetched over HTTP and its proof checked by every verification).
    for document in documents[:: max(1, len(documents) // 20)]:
        assert_all_passed(verify_live(server, document))


def _poll(client: httpx.Client, location: str, headers: dict[str, str]) -> dict:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        state = client.get(location, headers=headers).json()
        if state["status"] not in ("queued", "running"):
            return state
        assert 0 <= state["progress"] <= 1
        time.sleep(0.2)
    raise AssertionError(f"the import did not finish: {state}")


def test_the_api_runs_an_import_as_a_job_with_a_status_resource(server: LiveServer, client: httpx.Client,
                                                                tenant: Tenant) -> None:
    key, assessor = _mc(server, tenant, "cfu-api").key, tenant.assessor.email
    rows = many_rows(30, key=key, assessor=assessor) + [
        award_row("pat@district.example.org", name="Pat", key=key, assessor=assessor,
                  evidence=f"lesson-plan=/etc/passwd;reflection=sha256:{sha256(b'r')}"),
        award_row("quinn@district.example.org", name="Quinn", key="no-such-thing", assessor=assessor)]
    body = award_file(rows).encode("utf-8")
    admin = {**tenant.headers(), "Content-Type": "text/csv", "X-Filename": "history.csv"}

    posted = client.post("/api/v1/award-imports", content=body, headers=admin)
    assert posted.status_code == 202, posted.text
    location = posted.headers["location"]
    assert location == f"{server.base_url}/api/v1/award-imports/{posted.json()['id']}"
    assert posted.json()["via"] == "api" and posted.json()["filename"] == "history.csv"
    done = _poll(client, location, tenant.headers())
    assert done["status"] == "done", done
    assert (done["total_rows"], done["processed_rows"], done["awarded"], done["already_awarded"], done["refused"]) == (
        32, 32, 30, 0, 2)
    assert done["progress"] == 1 and done["rate_per_second"] > 0 and done["result_url"]
    result = client.get(done["result_url"], headers=tenant.headers())
    assert result.status_code == 200 and result.headers["content-type"].startswith("text/csv")
    lines = read_result(result.text)
    assert [r["status"] for r in lines] == ["awarded"] * 30 + ["refused", "refused"]
    assert lines[30]["reason"] == ("evidence lesson-plan: a file path is read only by the command line; give the "
                                   "file's URL or its sha256")
    assert lines[31]["reason"] == "no published micro-credential no-such-thing version 1 here"
    listed = client.get("/api/v1/credentials", params={"limit": 200}, headers=tenant.headers()).json()
    assert {c["id"] for c in listed["items"]} >= {r["credential_id"] for r in lines[:30]}
    document = client.get(lines[0]["credential_url"], headers={"Accept": "application/json"}).json()
    assert_all_passed(verify_live(server, document))

    # Posted again: a new run that awards nothing twice.
    again = client.post("/api/v1/award-imports", content=body, headers=admin)
    assert again.status_code == 202 and again.json()["id"] != posted.json()["id"]
    repeated = _poll(client, again.headers["location"], tenant.headers())
    assert (repeated["status"], repeated["awarded"], repeated["already_awarded"], repeated["refused"]) == ("done", 0, 30, 2)

    # Only the organisation's admins; a file that is not an award file; another organisation's run.
    assert_problem(client.post("/api/v1/award-imports", content=body, headers={
        **tenant.headers(Role.EDUCATOR), "Content-Type": "text/csv"}), 403)
    assert_problem(client.get(location, headers=tenant.headers(Role.ASSESSOR)), 403)
    bad = client.post("/api/v1/award-imports", content=b"email,name\nx@y.org,X\n", headers=admin)
    assert "unknown column(s) 'email', 'name'" in assert_problem(bad, 422, "unreadable-award-file")["detail"]
    for unreadable in (b"", b"\xff\xfe\x00not text"):
        response = client.post("/api/v1/award-imports", content=unreadable, headers=admin)
        assert 400 <= response.status_code < 500, response.text
        assert_problem(response, response.status_code)
    assert_problem(client.get(f"/api/v1/award-imports/{tenant.issuer.id}", headers=tenant.headers()), 404,
                   "award-import-not-found")

    # A run that has not run: no result yet (409), and once its heartbeat is old, it reads as interrupted.
    services = server.app.state.services
    with services.sessions() as session:
        waiting = service.start(session, services, award_file(rows[:1]), filename=None, slug=tenant.issuer.slug)
    assert_problem(client.get(f"/api/v1/award-imports/{waiting}/result", headers=tenant.headers()), 409,
                   "award-import-not-finished")
    assert client.get(f"/api/v1/award-imports/{waiting}", headers=tenant.headers()).json()["status"] == "running"
    with services.sessions() as session, session.begin():
        session.get_one(AwardImport, waiting).heartbeat_at -= service.LEASE + timedelta(seconds=1)
    assert client.get(f"/api/v1/award-imports/{waiting}", headers=tenant.headers()).json()["status"] == "interrupted"


def test_an_imported_award_cites_the_assessors_qualification_current_at_its_date(server: LiveServer,
                                                                                client: httpx.Client,
                                                                                tenant: Tenant) -> None:
    """As an award made now cites the scorer's qualification current now (its validFrom), an imported award cites
    the one current at its award date, and none when the assessor was not qualified then; the verifier checks it."""
    mc = q.published(client, tenant, key="cfu-qualified")
    for n in range(3):
        q.anchor(client, tenant, mc, f"Anchor {n}")
    qualification = q.qualified(client, tenant, tenant.assessor, tenant.headers(Role.ASSESSOR), mc)
    after = datetime.fromisoformat(qualification["valid_from"]) + timedelta(seconds=1)
    time.sleep(max(0.0, (after - datetime.now(timezone.utc)).total_seconds()))  # the award is not in the future
    evidence = f"lesson-plan=sha256:{sha256(b'plan')};reflection=sha256:{sha256(b'reflection')}"
    levels = "varied-checks=proficient;reflection=developing"
    rows = [award_row("una@district.example.org", name="Una", key=mc["key"], assessor=tenant.assessor.email,
                      levels=levels, evidence=evidence, awarded_on=after.isoformat()),
            award_row("vic@district.example.org", name="Vic", key=mc["key"], assessor=tenant.assessor.email,
                      levels=levels, evidence=evidence, awarded_on=_days_ago(30))]
    posted = client.post("/api/v1/award-imports", content=award_file(rows).encode(),
                         headers={**tenant.headers(), "Content-Type": "text/csv"})
    assert posted.status_code == 202, posted.text
    done = _poll(client, posted.headers["location"], tenant.headers())
    assert (done["status"], done["awarded"]) == ("done", 2), done
    lines = read_result(client.get(done["result_url"], headers=tenant.headers()).text)
    cited, uncited = (client.get(r["credential_url"], headers={"Accept": "application/json"}).json() for r in lines)

    [related] = [r for r in cited["relatedResource"] if r["id"] == qualification["url"]]
    assert related["digestMultibase"] == qualification_digest(qualification["document"])
    report = q.verify(client, cited)
    assert report["verified"] is True and q.check(report, "assessor_qualification")["outcome"] == "passed", report
    assert not [r for r in uncited["relatedResource"] if r["id"] == qualification["url"]]
    assert q.verify(client, uncited)["verified"] is True
