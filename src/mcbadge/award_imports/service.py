"""Bulk awards from CSV: an organisation's historical records, or a provider's completions, awarded as credentials.

Called by the command line (``mcbadge awards import``, where the data and keys are) and the API
(``POST /api/v1/award-imports``, an admin of the organisation; the run continues in a thread of the server).

**One run** (:func:`start`, then :func:`run`): every row is read and checked on its own (``award_imports.rows``,
then against the catalogue and the people here); a bad row is refused with its number and reason; a row whose
identity was awarded by an earlier run is reported with its credential. The rest are awarded in batches:

1. draw each credential's random status index in memory (revocation; suspension too when the issuer opted into
   suspension, as for any award) (``status.bulk.BulkAllocator``);
2. build and sign the credentials in worker processes, one per core (``award_imports.signing``), while the
   previous batch is written;
3. write the batch in **one transaction**: the educators created, a submission, an assessment (the levels) and
   evidence items per award, the status entries, the credentials (signed JSON as the workers made it), the
   rows' identities (``imported_awards``), the audit events and the run's progress; all by SQLAlchemy Core
   inserts of many rows at a time, no ORM object per row.

**Crash safety.** A batch is committed whole or not at all, and its signed credentials exist only in memory
until then: a ``kill -9`` loses the batches in flight and nothing else. The status indexes they drew were never
written, so they are free again, never given twice. Running the same file again awards every row not committed
yet (the identity of a committed row is in ``imported_awards``, unique per organisation) and reports the others
as awarded already: re-running is how an interrupted run is finished, and a re-run awards nothing twice.

**Dates.** A historical award carries the file's award date as ``validFrom``: the issuer's records say the
credential has held since then; ``validUntil`` follows from it and the organisation's validity period, as for
any award (an award older than that period is issued expired, and the result says so). The proof's ``created``
is when this service signed it, and ``credentials.issued_at`` too (the credential list's issue-time filter is
about issuance). OB 3.0's ``awardedDate`` would say the award date once more; ``credentials.build`` does not
emit it, and renewal reports read ``validFrom`` when it is absent.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import mimetypes
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from .. import blobs
from ..credentials.build import QualificationCitation, credential_url, validity_days
from ..db.models import (
    Assessment,
    AssessorQualification,
    AuditEvent,
    AwardImport,
    Base,
    Blob,
    Credential,
    EvidenceItem,
    ImportedAward,
    ImportStatus,
    Issuer,
    MicroCredential,
    MicroCredentialStatus,
    Person,
    Role,
    StatusPurpose,
    Submission,
    SubmissionStatus,
    utcnow,
)
from ..db.bulk import insert_rows
from ..db.session import read, transaction
from ..errors import Conflict, Forbidden, NotFound
from ..identity import issuer_did
from ..principal import Principal, TenantDisabled
from ..qualifications.service import qualification_url
from ..services import Services
from ..spreadsheet_cells import csv_cell
from ..status.bulk import BulkAllocator, Slot
from ..tenants.service import UnknownTenant
from ..vc.qualification import qualification_digest
from .rows import ParsedRow, RowRefused, parse_row, read_rows
from .schemas import ImportRead, ImportState
from .signing import EvidenceFacts, IssuerFacts, MicroCredentialFacts, SigningPool, ToSign

__all__ = ["ImportNotFinished", "Outcome", "Timings", "UnknownImport", "get_import", "result_csv", "run",
           "run_in_background", "start"]

log = logging.getLogger(__name__)

BATCH_SIZE = 500
"""Credentials written per transaction: large enough that a transaction's fixed cost is spread, small enough that
a crash loses little and progress moves every second or so."""

CHUNK_SIZE = 25
"""Credentials per task handed to a signing worker: enough to make the hand-over cheap, few enough to share a
batch evenly between the workers."""

LEASE = timedelta(minutes=2)
"""A queued or running run whose heartbeat is older than this was interrupted (its process ended)."""

_IN_FLIGHT = 3
"""Batches handed to the workers and not written yet: while this process writes one, the workers sign the next
two, so they do not wait for it."""

_HEARTBEAT_EVERY_S = 15.0
_MAX_WRITE_ATTEMPTS = 8

RESULT_COLUMNS = ("row", "status", "educator_email", "educator_external_id", "microcredential", "version",
                  "credential_id", "credential_url", "reason")

# One run at a time in a process: each already uses every core for signing.
_one_at_a_time = threading.Semaphore(1)


class UnknownImport(NotFound):
    """No award import with this id at the caller's organisation."""

    code = "award-import-not-found"


class ImportNotFinished(Conflict):
    """The result CSV is made when the run is done; it is not yet (or it failed, or was interrupted)."""

    code = "award-import-not-finished"


@dataclass(frozen=True)
class Outcome:
    """What became of one row: a line of the result CSV."""

    row: int
    status: str  # awarded | already-awarded | refused
    educator_email: str = ""
    external_id: str | None = None
    microcredential: str = ""
    version: int | None = None
    credential_id: uuid.UUID | None = None
    reason: str = ""


Progress = Callable[[int, int], None]
"""Called with (rows decided, total rows) after each committed batch."""


@dataclass
class Timings:
    """Where a run's time went in the calling process, in seconds (logged at its end; the benchmark prints it).
    Signing happens in the workers meanwhile: ``waiting`` is the part of it this process could not hide."""

    checking: float = 0.0
    """Reading and checking the rows against the catalogue (and storing evidence files)."""
    preparing: float = 0.0
    """Drawing status indexes and handing the batches to the workers."""
    waiting: float = 0.0
    """Waiting for the workers' signatures."""
    writing: float = 0.0
    """The batches' transactions."""
    finishing: float = 0.0
    """Signing new status lists, the result CSV, the run's last update."""


# -- starting a run --------------------------------------------------------------------------------------------


def start(session: Session, services: Services, text: str, *, filename: str | None,
          principal: Principal | None = None, slug: str | None = None) -> uuid.UUID:
    """Record a new run of ``text`` for the caller's organisation (``principal``: over the API) or the
    organisation ``slug`` (the command line); its id. The file's header is checked here
    (``UnreadableAwardFile``); its rows when the run runs."""
    for _ in read_rows(text):
        break  # the header is read and checked; rows are read by the run
    with transaction(session):
        issuer: Issuer | None
        if principal is not None:
            issuer = session.get_one(Issuer, principal.issuer_id)
        else:
            issuer = session.scalars(select(Issuer).where(Issuer.slug == slug)).first()
            if issuer is None:
                raise UnknownTenant(f"no organisation {slug!r} on this service")
        if issuer.disabled_at is not None:
            raise TenantDisabled(f"the organisation {issuer.slug} is disabled: it issues nothing new")
        job = AwardImport(issuer_id=issuer.id, started_by=principal.person_id if principal else None,
                          via="api" if principal else "cli", filename=filename,
                          file_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                          status=ImportStatus.QUEUED if principal else ImportStatus.RUNNING,
                          total_rows=0, processed_rows=0, awarded=0, already_awarded=0, refused=0)
        session.add(job)
        session.flush()
        return job.id


def run_in_background(services: Services, import_id: uuid.UUID, text: str) -> threading.Thread:
    """:func:`run` in a thread of this process (the API's runs), one run at a time; the thread, started."""

    def work() -> None:
        while not _one_at_a_time.acquire(timeout=_HEARTBEAT_EVERY_S):
            _beat(services.sessions, import_id)  # still waiting: not interrupted
        try:
            run(services, import_id, text, files_dir=None)
        except Exception:  # noqa: BLE001 - recorded on the run (failed) by run(); the thread must not die loudly
            log.exception("award import %s failed", import_id)
        finally:
            _one_at_a_time.release()

    thread = threading.Thread(target=work, name=f"award-import-{import_id}", daemon=True)
    thread.start()
    return thread


def _beat(sessions: sessionmaker[Session], import_id: uuid.UUID, **values: Any) -> None:
    with sessions() as session, transaction(session):
        session.execute(update(AwardImport).where(AwardImport.id == import_id).values(heartbeat_at=utcnow(), **values))


# -- reading a run -----------------------------------------------------------------------------------------------


_STATES: dict[ImportStatus, ImportState] = {ImportStatus.QUEUED: "queued", ImportStatus.RUNNING: "running",
                                            ImportStatus.DONE: "done", ImportStatus.FAILED: "failed"}


def _state(job: AwardImport, now: datetime) -> ImportState:
    if job.status in (ImportStatus.QUEUED, ImportStatus.RUNNING) and now - job.heartbeat_at > LEASE:
        return "interrupted"
    return _STATES[job.status]


def import_read(job: AwardImport, result_url: str | None, now: datetime | None = None) -> ImportRead:
    now = now or utcnow()
    elapsed = ((job.finished_at or now) - job.created_at).total_seconds()
    rate = job.processed_rows / elapsed if elapsed > 0 and job.processed_rows else None
    left = job.total_rows - job.processed_rows
    state = _state(job, now)
    return ImportRead(
        id=job.id, status=state, via="api" if job.via == "api" else "cli", filename=job.filename,
        file_sha256=job.file_sha256,
        total_rows=job.total_rows, processed_rows=job.processed_rows, awarded=job.awarded,
        already_awarded=job.already_awarded, refused=job.refused,
        progress=(job.processed_rows / job.total_rows) if job.total_rows else (1.0 if state == "done" else 0.0),
        rate_per_second=round(rate, 1) if rate else None,
        eta_seconds=round(left / rate, 1) if rate and state == "running" else None,
        error=job.error, created_at=job.created_at, finished_at=job.finished_at,
        result_url=result_url if state == "done" else None)


def _job(session: Session, issuer_id: uuid.UUID, import_id: uuid.UUID) -> AwardImport:
    job = session.scalars(select(AwardImport).where(AwardImport.id == import_id,
                                                    AwardImport.issuer_id == issuer_id)).first()
    if job is None:
        raise UnknownImport(f"no award import {import_id}")
    return job


def get_import(session: Session, principal: Principal, import_id: uuid.UUID, *, result_url: str) -> ImportRead:
    """A run of the caller's organisation, as it stands (admins only)."""
    if principal.role is not Role.ADMIN:
        raise Forbidden("award imports are an admin's")
    with read(session):
        return import_read(_job(session, principal.issuer_id, import_id), result_url)


def result_csv(session: Session, principal: Principal, import_id: uuid.UUID) -> str:
    """The result CSV of a finished run (ImportNotFinished before)."""
    if principal.role is not Role.ADMIN:
        raise Forbidden("award imports are an admin's")
    with read(session):
        job = _job(session, principal.issuer_id, import_id)
        state = _state(job, utcnow())
        if state != "done" or job.result_csv is None:
            raise ImportNotFinished(f"award import {import_id} is {state}: its result is made when it is done")
        return job.result_csv


# -- the catalogue a run checks rows against -----------------------------------------------------------------------


@dataclass
class _Person:
    id: uuid.UUID
    role: Role
    email: str
    name: str
    saved: bool
    """In the database (False: created by this run, inserted with the first batch that awards it)."""


@dataclass(frozen=True)
class _Qualification:
    valid_from: datetime
    valid_until: datetime
    revoked_from: datetime | None
    citation: QualificationCitation


@dataclass
class _Catalogue:
    issuer: Issuer
    facts: IssuerFacts
    microcredentials: dict[tuple[str, int], MicroCredential]
    people: dict[str, _Person]
    """By e-mail in lower case."""
    imported: dict[str, tuple[uuid.UUID, str]]
    """Row identities awarded already: row_key -> (credential id, content digest)."""
    qualifications: dict[tuple[uuid.UUID, str], list[_Qualification]]
    """The assessors' qualifications by (assessor, micro-credential key), newest first."""

    def citation(self, assessor_id: uuid.UUID, key: str, at: datetime) -> tuple[QualificationCitation, ...]:
        """The assessor's qualification current at ``at`` as an award cites it (none when there is none), as
        ``qualifications.current_qualification`` chooses it for an award made now."""
        for q in self.qualifications.get((assessor_id, key), ()):
            if q.valid_from <= at < q.valid_until and (q.revoked_from is None or q.revoked_from > at):
                return (q.citation,)
        return ()


def _catalogue(session: Session, services: Services, issuer_id: uuid.UUID) -> _Catalogue:
    with read(session):
        issuer = session.get_one(Issuer, issuer_id)
        mcs = session.scalars(select(MicroCredential).where(MicroCredential.issuer_id == issuer_id,
                                                            MicroCredential.status != MicroCredentialStatus.DRAFT))
        people = {row.email.lower(): _Person(row.id, row.role, row.email, row.name, True) for row in session.execute(
            select(Person.id, Person.role, Person.email, Person.name).where(Person.issuer_id == issuer_id))}
        imported = {row.row_key: (row.credential_id, row.content_sha256) for row in session.execute(
            select(ImportedAward.row_key, ImportedAward.credential_id, ImportedAward.content_sha256)
            .where(ImportedAward.issuer_id == issuer_id))}
        facts = IssuerFacts(id=issuer.id, slug=issuer.slug, did=issuer_did(services.public_base_url, issuer.slug),
                            name=issuer.name, url=issuer.url, email=issuer.email, image_url=issuer.image_url,
                            validity_days=issuer.validity_days)
        # Only assessors who opted in to being named are named in a credential.
        named = {row.id: row.name for row in session.execute(select(Person.id, Person.name).where(
            Person.issuer_id == issuer_id, Person.assessor_name_public.is_(True)))}
        qualifications: dict[tuple[uuid.UUID, str], list[_Qualification]] = {}
        for q in session.scalars(select(AssessorQualification).where(AssessorQualification.issuer_id == issuer_id)
                                 .order_by(AssessorQualification.valid_from.desc(), AssessorQualification.id)):
            citation = QualificationCitation(
                url=qualification_url(services.public_base_url, issuer.slug, q.id),
                digest=qualification_digest(q.document), pseudonym=q.pseudonym, assessor_name=named.get(q.assessor_id))
            qualifications.setdefault((q.assessor_id, q.microcredential_key), []).append(
                _Qualification(q.valid_from, q.valid_until, q.revoked_from, citation))
        return _Catalogue(issuer, facts, {(mc.key, mc.version): mc for mc in mcs}, people, imported, qualifications)


def _mc_facts(mc: MicroCredential) -> MicroCredentialFacts:
    return MicroCredentialFacts(id=mc.id, key=mc.key, version=mc.version, title=mc.title, competency=mc.competency,
                                key_method=mc.key_method, requirements=list(mc.requirements), rubric=dict(mc.rubric),
                                alignments=list(mc.alignments), tags=list(mc.tags), image_url=mc.image_url,
                                pd_hours=mc.pd_hours, validity_days=mc.validity_days)


# -- checking a row against the catalogue ----------------------------------------------------------------------------


@dataclass
class _Award:
    """A row that will be awarded: its ids, chosen now, and what it is signed with."""

    row: ParsedRow
    mc: MicroCredential
    educator: _Person
    assessor_id: uuid.UUID
    evidence: tuple[EvidenceFacts, ...]
    stored: list[blobs.StoredFile]
    qualifications: tuple[QualificationCitation, ...]
    credential_id: uuid.UUID = field(default_factory=uuid.uuid4)
    submission_id: uuid.UUID = field(default_factory=uuid.uuid4)
    assessment_id: uuid.UUID = field(default_factory=uuid.uuid4)
    revocation: Slot | None = None
    """Drawn when the award's batch is prepared (``_Run.draw``)."""
    suspension: Slot | None = None
    """Drawn too when the issuer opted into suspension."""

    @property
    def drawn_revocation(self) -> Slot:
        assert self.revocation is not None, "the award's status indexes are drawn before it is signed or written"
        return self.revocation

    def to_sign(self) -> ToSign:
        return ToSign(credential_id=self.credential_id, microcredential_id=self.mc.id,
                      educator_email=self.educator.email, assessment_id=self.assessment_id, scores=self.row.levels,
                      evidence=self.evidence, revocation=self.drawn_revocation, suspension=self.suspension,
                      valid_from=self.row.awarded_at, qualifications=self.qualifications)


def _check_levels(row: ParsedRow, mc: MicroCredential) -> None:
    levels = [level["key"] for level in mc.rubric.get("levels", [])]
    criteria = {c["key"]: c for c in mc.rubric.get("criteria", [])}
    unknown = [c for c in row.levels if c not in criteria]
    if unknown:
        raise RowRefused(f"levels: {', '.join(repr(c) for c in unknown)} is not a criterion of {mc.key} v{mc.version} "
                         f"(its criteria: {', '.join(criteria)})")
    for key, criterion in criteria.items():
        given = row.levels.get(key)
        if given is None:
            raise RowRefused(f"levels: no level for the criterion {key!r}")
        if given not in levels:
            raise RowRefused(f"levels: {given!r} is not a level of the rubric (its levels: {', '.join(levels)})")
        if levels.index(given) < levels.index(criterion["required_level"]):
            raise RowRefused(f"levels: {key} at {given} is below the required {criterion['required_level']}: "
                             "only work that meets the rubric is awarded")


def _evidence(row: ParsedRow, mc: MicroCredential, files_dir: Path | None, services: Services
              ) -> tuple[tuple[EvidenceFacts, ...], list[blobs.StoredFile]]:
    requirements = {r["key"]: r for r in mc.requirements}
    items: list[EvidenceFacts] = []
    stored: list[blobs.StoredFile] = []
    for position, given in enumerate(row.evidence):
        requirement = requirements.get(given.requirement)
        if requirement is None:
            raise RowRefused(f"evidence: {given.requirement!r} is not an evidence requirement of {mc.key} "
                             f"v{mc.version} (its requirements: {', '.join(requirements)})")
        if given.path is not None:
            if files_dir is None:
                raise RowRefused(f"evidence {given.requirement}: a file path is read only by the command line; "
                                 "give the file's URL or its sha256")
            path = files_dir / given.path
            media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            try:
                if given.sha256 is not None:
                    with path.open("rb") as handle:
                        actual = hashlib.file_digest(handle, "sha256").hexdigest()
                    if actual != given.sha256:
                        raise RowRefused(f"evidence {given.requirement}: {given.path} has the sha256 {actual}, not "
                                         f"the {given.sha256} the row gives")
                file = blobs.store_file(services.blob_dir, path, media_type=media_type,
                                        max_bytes=services.settings.max_upload_bytes)
            except OSError as exc:
                raise RowRefused(f"evidence {given.requirement}: cannot read {given.path}: "
                                 f"{exc.strerror or exc}") from None
            except (blobs.UploadTooLarge, blobs.BadMediaType) as exc:
                raise RowRefused(f"evidence {given.requirement}: {given.path}: {exc.detail}") from None
            stored.append(file)
            items.append(EvidenceFacts(id=uuid.uuid4(), requirement_key=given.requirement, position=position,
                                       kind="file", filename=Path(given.path).name[:255], blob_sha256=file.sha256,
                                       media_type=file.media_type, url=None, sha256=None))
        elif given.url is not None:
            items.append(EvidenceFacts(id=uuid.uuid4(), requirement_key=given.requirement, position=position,
                                       kind="url", filename=None, blob_sha256=None, media_type=None, url=given.url,
                                       sha256=given.sha256))
        else:  # the digest alone: the issuer keeps the bytes
            kind = "reflection" if requirement.get("kind") == "reflection" else "file"
            items.append(EvidenceFacts(id=uuid.uuid4(), requirement_key=given.requirement, position=position,
                                       kind=kind, filename=None, blob_sha256=None, media_type=None, url=None,
                                       sha256=given.sha256))
    answered = {item.requirement_key for item in items}
    missing = [key for key, r in requirements.items() if r.get("required", True) and key not in answered]
    if missing:
        raise RowRefused(f"evidence: nothing for the required {', '.join(missing)}")
    return tuple(items), stored


def _plan(catalogue: _Catalogue, row: ParsedRow, names: dict[str, str], files_dir: Path | None,
          services: Services) -> _Award:
    mc = catalogue.microcredentials.get((row.microcredential, row.version))
    if mc is None:
        versions = sorted(v for k, v in catalogue.microcredentials if k == row.microcredential)
        raise RowRefused(f"no published micro-credential {row.microcredential} version {row.version} here"
                         + (f" (versions: {', '.join(map(str, versions))})" if versions else ""))
    _check_levels(row, mc)
    assessor = catalogue.people.get(row.assessor_email.lower())
    if assessor is None or not assessor.saved or assessor.role is not Role.ASSESSOR:
        raise RowRefused(f"{row.assessor_email} is not an assessor of {catalogue.issuer.slug}"
                         + (f" (they are {assessor.role.value})" if assessor is not None and assessor.saved else ""))
    email = row.educator_email.lower()
    educator = catalogue.people.get(email)
    if educator is None:
        name = names.get(email)
        if name is None:
            raise RowRefused(f"{row.educator_email} is new here: give educator_name to create them")
        educator = catalogue.people[email] = _Person(uuid.uuid4(), Role.EDUCATOR, row.educator_email, name, False)
    elif educator.role is not Role.EDUCATOR:
        raise RowRefused(f"{row.educator_email} is registered here as {educator.role.value}, not as an educator")
    evidence, stored = _evidence(row, mc, files_dir, services)
    return _Award(row=row, mc=mc, educator=educator, assessor_id=assessor.id, evidence=evidence, stored=stored,
                  qualifications=catalogue.citation(assessor.id, mc.key, row.awarded_at))


# -- the run -----------------------------------------------------------------------------------------------------


class _Redraw(Exception):
    """Some drawn status indexes were taken meanwhile: leave the transaction, draw them again, sign again."""

    def __init__(self, slots: set[Slot]) -> None:
        super().__init__(f"{len(slots)} status index(es) taken meanwhile")
        self.slots = slots


@dataclass
class _Run:
    services: Services
    session: Session
    import_id: uuid.UUID
    catalogue: _Catalogue
    allocator: BulkAllocator
    pool: SigningPool
    actor_id: uuid.UUID | None
    outcomes: list[Outcome]
    total: int
    decided: int
    refused: int
    already: int
    awarded: int = 0
    progress: Progress | None = None
    timings: Timings = field(default_factory=Timings)

    def refuse(self, row: ParsedRow, reason: str) -> None:
        """A row refused when its batch is prepared (recorded with the next batch written, or at the end)."""
        self.outcomes.append(_outcome(row, "refused", reason=reason))
        self.refused += 1
        self.decided += 1

    def draw(self, award: _Award) -> None:
        award.revocation = self.allocator.draw(StatusPurpose.REVOCATION)
        # A suspension entry only for an issuer that opted into suspension, as credentials.service.award does.
        if self.catalogue.issuer.suspension_status:
            award.suspension = self.allocator.draw(StatusPurpose.SUSPENSION)

    def sign(self, awards: Sequence[_Award], signed_at: datetime) -> list[Future[list[str]]]:
        return [self.pool.submit([a.to_sign() for a in awards[i:i + CHUNK_SIZE]], signed_at)
                for i in range(0, len(awards), CHUNK_SIZE)]

    def write(self, awards: list[_Award], futures: list[Future[list[str]]], signed_at: datetime) -> None:
        """Wait for a batch's signatures, then commit it (see the module docstring); redraws and re-signs the
        credentials whose status index another process took meanwhile."""
        started = time.perf_counter()
        documents = {a.credential_id: doc for a, doc in zip(awards, (d for f in futures for d in f.result()))}
        waited = time.perf_counter()
        self.timings.waiting += waited - started
        try:
            self._write(awards, documents, signed_at)
        finally:
            self.timings.writing += time.perf_counter() - waited

    def _write(self, awards: list[_Award], documents: dict[uuid.UUID, str], signed_at: datetime) -> None:
        for _ in range(_MAX_WRITE_ATTEMPTS):
            try:
                with transaction(self.session):
                    kept, taken = self._insert(awards, documents, signed_at)
            except _Redraw as redraw:
                self.allocator.rolled_back()
                again = [a for a in awards if a.revocation in redraw.slots or a.suspension in redraw.slots]
                for award in again:
                    self.draw(award)
                documents.update(zip((a.credential_id for a in again),
                                     (d for f in self.sign(again, signed_at) for d in f.result())))
                continue
            except IntegrityError:
                # A concurrent writer (PostgreSQL) inserted the same person, row identity, list or index between
                # the checks and the inserts: check again.
                self.allocator.rolled_back()
                continue
            self.allocator.committed()
            self._committed(awards, kept, taken)
            return
        raise Conflict("the batch could not be written after repeated conflicts with concurrent writers; run the "
                       "file again to finish it")

    def _committed(self, awards: list[_Award], kept: list[_Award], taken: dict[str, uuid.UUID]) -> None:
        issuer = self.catalogue.issuer
        for award in kept:
            award.educator.saved = True
            self.outcomes.append(_outcome(award.row, "awarded", award.credential_id,
                                          _expiry_note(award, validity_days(issuer, award.mc))))
        for award in awards:
            if award.row.row_key in taken:
                self.outcomes.append(_outcome(award.row, "already-awarded", taken[award.row.row_key],
                                              "awarded meanwhile by another run of the same rows"))
        self.decided += len(awards)
        self.awarded += len(kept)
        self.already += len(taken)
        if self.progress:
            self.progress(self.decided, self.total)

    def _insert(self, awards: list[_Award], documents: dict[uuid.UUID, str], signed_at: datetime
                ) -> tuple[list[_Award], dict[str, uuid.UUID]]:
        """The batch's rows, in the caller's transaction: (the awards inserted, the row identities another run
        awarded meanwhile, with their credentials)."""
        session, issuer = self.session, self.catalogue.issuer
        # Rows another run awarded meanwhile (the same file run twice at once).
        taken = {row.row_key: row.credential_id for row in session.execute(
            select(ImportedAward.row_key, ImportedAward.credential_id).where(
                ImportedAward.issuer_id == issuer.id, ImportedAward.row_key.in_([a.row.row_key for a in awards])))}
        kept = [a for a in awards if a.row.row_key not in taken]
        conflicts = self.allocator.conflicts(session, [s for a in kept for s in (a.revocation, a.suspension) if s])
        if conflicts:
            raise _Redraw(conflicts)
        # Educators this run creates, unless another process created them meanwhile.
        new_people = {a.educator.email.lower(): a.educator for a in kept if not a.educator.saved}
        if new_people:
            for row in session.execute(select(Person.id, Person.email).where(
                    Person.issuer_id == issuer.id, func.lower(Person.email).in_(list(new_people)))):
                person = new_people.pop(row.email.lower())
                person.id, person.saved = row.id, True
            if new_people:
                now = utcnow()
                insert_rows(session, _table(Person), [
                    {"id": p.id, "issuer_id": issuer.id, "role": Role.EDUCATOR, "name": p.name, "email": p.email,
                     "license_number": None, "created_at": now} for p in new_people.values()])
        if not kept:
            return kept, taken
        attempts = _next_attempts(session, kept)
        files = {f.sha256: f for a in kept for f in a.stored}
        if files:
            _insert_blobs(session, list(files.values()))
        now = utcnow()
        insert_rows(session, _table(Submission), [
            {"id": a.submission_id, "issuer_id": issuer.id, "microcredential_id": a.mc.id, "educator_id": a.educator.id,
             "attempt": attempts[a.submission_id], "status": SubmissionStatus.AWARDED, "created_at": now,
             "submitted_at": a.row.awarded_at, "decided_at": a.row.awarded_at} for a in kept])
        insert_rows(session, _table(Assessment), [
            {"id": a.assessment_id, "submission_id": a.submission_id, "assessor_id": a.assessor_id,
             "scores": a.row.levels, "feedback": {}, "passed": True, "lead_decision": False, "created_at": now}
            for a in kept])
        evidence = [{"id": e.id, "submission_id": a.submission_id, "requirement_key": e.requirement_key,
                     "position": e.position, "kind": e.kind, "blob_sha256": e.blob_sha256, "filename": e.filename,
                     "url": e.url, "text": None, "sha256": e.sha256, "created_at": now}
                    for a in kept for e in a.evidence]
        if evidence:
            insert_rows(session, _table(EvidenceItem), evidence)
        slots = [s for a in kept for s in (a.revocation, a.suspension) if s]
        entry_of_slot = dict(zip(slots, self.allocator.insert(session, slots)))
        insert_rows(session, _table(Credential), [
            {"id": a.credential_id, "issuer_id": issuer.id, "submission_id": a.submission_id,
             "microcredential_id": a.mc.id, "stack_id": None, "educator_id": a.educator.id,
             "approved_by": self.actor_id, "revocation_entry_id": entry_of_slot[a.drawn_revocation],
             "suspension_entry_id": entry_of_slot[a.suspension] if a.suspension else None, "format": "ldp",
             "document": documents[a.credential_id],
             "jwt": None, "issued_at": signed_at,
             "valid_until": _valid_until(a, issuer),
             "revoked_at": None, "revocation_reason": None, "suspended": False, "public": True,
             "show_evidence": False} for a in kept], json_text={"document"})
        insert_rows(session, _table(ImportedAward), [
            {"id": uuid.uuid4(), "issuer_id": issuer.id, "row_key": a.row.row_key,
             "content_sha256": a.row.content_sha256, "credential_id": a.credential_id, "import_id": self.import_id,
             "row_number": a.row.number, "external_id": a.row.external_id, "awarded_on": a.row.awarded_at}
            for a in kept])
        insert_rows(session, _table(AuditEvent), [
            {"issuer_id": issuer.id, "actor_id": self.actor_id, "action": "credential.awarded",
             "target": f"credential:{a.credential_id}", "at": now,
             "detail": {"submission_id": str(a.submission_id), "format": "ldp",
                        "microcredential": f"{a.mc.key}/v{a.mc.version}", "import_id": str(self.import_id),
                        "row": a.row.number, "awarded_on": a.row.awarded_at.isoformat()}} for a in kept])
        session.execute(update(AwardImport).where(AwardImport.id == self.import_id).values(
            processed_rows=self.decided + len(awards), awarded=self.awarded + len(kept),
            already_awarded=self.already + len(taken), refused=self.refused, heartbeat_at=now))
        return kept, taken


def _table(model: type[Any]) -> Table:
    """The model's table: rows inserted through it are plain Core (``executemany``), where inserting through the
    ORM class would work out each row's primary key and defaults as the unit of work does."""
    return Base.metadata.tables[model.__tablename__]


def _valid_until(award: _Award, issuer: Issuer) -> datetime | None:
    days = validity_days(issuer, award.mc)
    return award.row.awarded_at + timedelta(days=days) if days else None


def _expiry_note(award: _Award, validity_days: int | None) -> str:
    if not validity_days:
        return ""
    until = award.row.awarded_at + timedelta(days=validity_days)
    return f"expired on {until:%Y-%m-%d} ({validity_days} days after the award)" if until <= utcnow() else ""


def _insert_blobs(session: Session, files: list[blobs.StoredFile]) -> None:
    dialect = session.get_bind().dialect.name
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_table(Blob))
    now = utcnow()
    session.execute(statement.on_conflict_do_nothing(index_elements=["sha256"]), [
        {"sha256": f.sha256, "size": f.size, "media_type": f.media_type, "created_at": now} for f in files])


def _next_attempts(session: Session, awards: list[_Award]) -> dict[uuid.UUID, int]:
    """Each award's attempt number: after the educator's attempts at the same micro-credential version."""
    saved = [a.educator.id for a in awards if a.educator.saved]
    last: dict[tuple[uuid.UUID, uuid.UUID], int] = {}
    for start_at in range(0, len(saved), 500):
        for row in session.execute(
                select(Submission.educator_id, Submission.microcredential_id, func.max(Submission.attempt))
                .where(Submission.educator_id.in_(saved[start_at:start_at + 500]))
                .group_by(Submission.educator_id, Submission.microcredential_id)):
            last[(row[0], row[1])] = row[2]
    attempts: dict[uuid.UUID, int] = {}
    for award in awards:
        key = (award.educator.id, award.mc.id)
        last[key] = last.get(key, 0) + 1
        attempts[award.submission_id] = last[key]
    return attempts


def _outcome(row: ParsedRow, status: str, credential_id: uuid.UUID | None = None, reason: str = "") -> Outcome:
    return Outcome(row=row.number, status=status, educator_email=row.educator_email, external_id=row.external_id,
                   microcredential=row.microcredential, version=row.version, credential_id=credential_id,
                   reason=reason)


def _result_text(outcomes: list[Outcome], public_base_url: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RESULT_COLUMNS)
    for o in sorted(outcomes, key=lambda o: o.row):
        # The file's own text comes back (e-mail, external id, the reason quoting a cell): guarded as in every
        # CSV people open in a spreadsheet.
        writer.writerow([csv_cell(value) for value in (
            o.row, o.status, o.educator_email, o.external_id, o.microcredential, o.version, o.credential_id,
            credential_url(public_base_url, o.credential_id) if o.credential_id else None, o.reason)])
    return out.getvalue()


def _batches(rows: list[ParsedRow], size: int) -> list[list[ParsedRow]]:
    return [rows[i:i + size] for i in range(0, len(rows), size)]


def run(services: Services, import_id: uuid.UUID, text: str, *, files_dir: Path | None,
        progress: Progress | None = None, batch_size: int = BATCH_SIZE, workers: int | None = None,
        today: date | None = None, timings: Timings | None = None) -> ImportRead:
    """Run the import ``import_id`` (made by :func:`start`) over ``text``: check every row, award the good ones
    in batches (see the module docstring), record the result CSV; the run as it ended. ``files_dir`` is where
    relative evidence paths are read (the command line); None refuses file paths (the API). ``workers`` signing
    processes (default: one per core; 0 signs in this process). ``timings`` is filled in, when given."""
    timings = timings if timings is not None else Timings()
    metrics = services.metrics
    counted = 0

    def progressed(decided: int, total: int) -> None:
        nonlocal counted
        metrics.import_rows.inc(max(0, decided - counted))  # the job's progress, as /metrics shows it
        counted = max(counted, decided)
        if progress is not None:
            progress(decided, total)

    with services.sessions() as session, metrics.imports_running.track_inprogress():
        try:
            done = _run(session, services, import_id, text, files_dir=files_dir, progress=progressed,
                        batch_size=batch_size, workers=workers, today=today, timings=timings)
            metrics.imports.labels("done").inc()
            for outcome, rows in (("awarded", done.awarded), ("already_awarded", done.already_awarded),
                                  ("refused", done.refused)):
                metrics.import_outcomes.labels(outcome).inc(rows)
            log.info("award import %s: %d awarded, %d already awarded, %d refused; checking %.1f s, preparing %.1f s, "
                     "waiting for signatures %.1f s, writing %.1f s, finishing %.1f s", import_id, done.awarded,
                     done.already_awarded, done.refused, timings.checking, timings.preparing, timings.waiting,
                     timings.writing, timings.finishing)
            return done
        except BaseException as exc:
            metrics.imports.labels("failed").inc()
            reason = exc.detail if hasattr(exc, "detail") else f"{type(exc).__name__}: the run stopped (see the log)"
            try:
                with services.sessions() as other, transaction(other):
                    other.execute(update(AwardImport).where(AwardImport.id == import_id).values(
                        status=ImportStatus.FAILED, error=str(reason)[:2000], finished_at=utcnow()))
            except Exception:  # noqa: BLE001 - the database itself may be what failed; the original error matters
                log.exception("award import %s: could not record its failure", import_id)
            raise


def _run(session: Session, services: Services, import_id: uuid.UUID, text: str, *, files_dir: Path | None,
         progress: Progress | None, batch_size: int, workers: int | None, today: date | None,
         timings: Timings) -> ImportRead:
    clock = time.perf_counter()
    with read(session):
        job = session.get_one(AwardImport, import_id)
        issuer_id, actor_id = job.issuer_id, job.started_by
    _beat(services.sessions, import_id, status=ImportStatus.RUNNING)
    catalogue = _catalogue(session, services, issuer_id)
    today = today or datetime.now(timezone.utc).date()

    # Every row on its own: refused, awarded by an earlier run, or to award.
    parsed: list[ParsedRow] = []
    outcomes: list[Outcome] = []
    names: dict[str, str] = {}
    for number, values in read_rows(text):
        try:
            row = parse_row(number, values, issuer_id=issuer_id, today=today)
        except RowRefused as bad:
            outcomes.append(Outcome(row=number, status="refused", educator_email=values.get("educator_email", ""),
                                    external_id=values.get("educator_external_id") or None,
                                    microcredential=values.get("microcredential", ""), reason=bad.reason))
            continue
        parsed.append(row)
        if row.educator_name:
            names.setdefault(row.educator_email.lower(), row.educator_name)
    total = len(parsed) + len(outcomes)
    # Rows to check against the catalogue (and award): each batch is checked as it is prepared, so the workers
    # start signing at once.
    to_check: list[ParsedRow] = []
    first_of: dict[str, int] = {}
    for row in parsed:
        if row.row_key in first_of:
            outcomes.append(_outcome(row, "refused", reason=f"the same award as row {first_of[row.row_key]} (educator, "
                                                           "micro-credential version and award date)"))
            continue
        first_of[row.row_key] = row.number
        earlier = catalogue.imported.get(row.row_key)
        if earlier is not None:
            changed = "" if earlier[1] == row.content_sha256 else \
                "awarded earlier from other values (levels, evidence, assessor or name): the credential was not changed"
            outcomes.append(_outcome(row, "already-awarded", earlier[0], changed))
            continue
        to_check.append(row)
    refused = sum(1 for o in outcomes if o.status == "refused")
    already = len(outcomes) - refused
    with transaction(session):
        session.execute(update(AwardImport).where(AwardImport.id == import_id).values(
            total_rows=total, processed_rows=len(outcomes), refused=refused, already_awarded=already,
            heartbeat_at=utcnow()))
    if progress:
        progress(len(outcomes), total)
    timings.checking = time.perf_counter() - clock

    awarded = 0
    if to_check:
        with read(session):
            allocator = BulkAllocator(session, issuer_id)
        wanted = {(row.microcredential, row.version) for row in to_check}
        used = [mc for key, mc in catalogue.microcredentials.items() if key in wanted]
        with SigningPool(keys_dir=services.settings.keys_dir, passphrase=services.settings.key_passphrase,
                         public_base_url=services.public_base_url, issuer=catalogue.facts,
                         microcredentials=[_mc_facts(mc) for mc in used], workers=workers) as pool:
            state = _Run(services=services, session=session, import_id=import_id, catalogue=catalogue,
                         allocator=allocator, pool=pool, actor_id=actor_id, outcomes=outcomes, total=total,
                         decided=len(outcomes), refused=refused, already=already, progress=progress,
                         timings=timings)
            # Batches in flight: the workers sign the next ones while this process writes the first.
            in_flight: deque[tuple[list[_Award], list[Future[list[str]]], datetime]] = deque()
            beat = time.monotonic()
            for rows in _batches(to_check, batch_size):
                clock = time.perf_counter()
                batch: list[_Award] = []
                for row in rows:
                    try:
                        batch.append(_plan(catalogue, row, names, files_dir, services))
                    except RowRefused as refusal:
                        state.refuse(row, refusal.reason)
                timings.checking += time.perf_counter() - clock
                clock = time.perf_counter()
                if batch:
                    for award in batch:
                        state.draw(award)
                    signed_at = datetime.now(timezone.utc).replace(microsecond=0)
                    in_flight.append((batch, state.sign(batch, signed_at), signed_at))
                timings.preparing += time.perf_counter() - clock
                if len(in_flight) >= _IN_FLIGHT:
                    state.write(*in_flight.popleft())
                    beat = time.monotonic()
                elif time.monotonic() - beat > _HEARTBEAT_EVERY_S:  # batches refused whole, evidence files read
                    _beat(services.sessions, import_id)
                    beat = time.monotonic()
            while in_flight:
                state.write(*in_flight.popleft())
        clock = time.perf_counter()
        allocator.sign_opened(session, catalogue.issuer.slug, keystore=services.keystore,
                              public_base_url=services.public_base_url)
        services.metrics.awards.labels("ldp").inc(state.awarded)
        awarded, already, refused = state.awarded, state.already, state.refused
    else:
        clock = time.perf_counter()
    result = _result_text(outcomes, services.public_base_url)
    with transaction(session):
        session.execute(update(AwardImport).where(AwardImport.id == import_id).values(
            status=ImportStatus.DONE, result_csv=result, processed_rows=total, awarded=awarded,
            already_awarded=already, refused=refused, finished_at=utcnow(), heartbeat_at=utcnow()))
        session.add(AuditEvent(issuer_id=issuer_id, actor_id=actor_id, action="award_import.finished",
                               target=f"award_import:{import_id}", detail={
                                   "awarded": awarded, "already_awarded": already, "refused": refused}))
    with read(session):
        done = import_read(session.get_one(AwardImport, import_id), None)
    timings.finishing = time.perf_counter() - clock
    return done
