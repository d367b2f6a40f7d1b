"""The quality report and the signed quality statements: rows read here, figures computed by ``figures``.

* :func:`report` (admins): per micro-credential key of the caller's issuer, the reliability and turnaround
  figures over a period (``figures.compute``, with the issuer's service level and minimum cell size), the
  assessors' names for the per-assessor rows, and the overdue list.
* :func:`publish_statement` (admins): the figures of one key over a period (by default the last full calendar
  quarter), as a signed ``ScoringQualityStatement`` (``vc.quality``), stored; the newest per key is shown
  beside that micro-credential's credentials (``quality.labels``). Only figures from cells at or above the
  minimum enter it.
* :func:`withdraw_statement` (admins): a statement whose figures were wrong is withdrawn: its bit in the
  issuer's revocation list is set (the statement carries that entry), so it no longer verifies anywhere, and
  the newest one not withdrawn is shown again.
* :func:`statement_document`, :func:`latest_statement`: served publicly.

Which submissions are read: submitted ones (``submitted_at`` set) submitted before the period ends and not
decided before it starts (a decision, or a pair's second score, falls in the period only then), and every one
still waiting, whenever submitted (the overdue list is of now, not of the period).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from urllib.parse import quote

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from ..db.models import (
    AssessorQualification,
    Issuer,
    MicroCredential,
    Person,
    QualityStatement,
    StatusEntry,
    StatusList,
    StatusPurpose,
    Submission,
    SubmissionStatus,
    utcnow,
)
from ..db.session import read, transaction
from ..errors import Conflict, Invalid, NotFound
from ..features import audit
from ..identity import issuer_did
from ..principal import Principal
from ..services import Services
from ..status import service as status
from ..vc import quality as statements
from ..vc.data_integrity import sign_credential
from ..vc.errors import CredentialError
from . import figures
from .schemas import MicroCredentialQuality, QualityReport, StatementPublish, StatementRead

__all__ = [
    "InvalidPeriod",
    "StatementNotFound",
    "StatementNotWithdrawable",
    "UnknownMicroCredential",
    "key_url",
    "last_full_quarter",
    "latest_row",
    "latest_statement",
    "publish_statement",
    "report",
    "statement_document",
    "statement_url",
    "statements_of",
    "withdraw_statement",
]


class StatementNotWithdrawable(Conflict):
    """The statement was published without a status entry (before statements carried one)."""

    code = "quality-statement-not-withdrawable"


class InvalidPeriod(Invalid):
    """The period is empty or reversed, or ends in the future."""

    code = "invalid-period"


class UnknownMicroCredential(Invalid):
    """The issuer has no micro-credential with this key."""

    code = "unknown-microcredential"


class StatementNotFound(NotFound):
    """No such quality statement (or none published yet for the micro-credential)."""

    code = "quality-statement-not-found"


def key_url(public_base_url: str, slug: str, key: str) -> str:
    """The micro-credential across its versions (``vc.qualification.microcredential_key_url`` of its
    Achievement ids): what a statement is about."""
    return f"{public_base_url.rstrip('/')}/issuers/{slug}/microcredentials/{quote(key, safe='')}"


def statement_url(public_base_url: str, slug: str, statement_id: uuid.UUID) -> str:
    return f"{public_base_url.rstrip('/')}/issuers/{slug}/quality-statements/{statement_id}"


def last_full_quarter(today: date) -> tuple[date, date]:
    """The calendar quarter before the one ``today`` is in: (first day, last day)."""
    first_of_this = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    last = first_of_this - timedelta(days=1)
    return date(last.year, 3 * ((last.month - 1) // 3) + 1, 1), last


def _period(start: date, end: date) -> figures.Period:
    """[start 00:00 UTC, the day after ``end`` 00:00 UTC): both days included."""
    if end < start:
        raise InvalidPeriod(f"the period ends ({end}) before it starts ({start})")
    return figures.Period(datetime.combine(start, time(), timezone.utc),
                          datetime.combine(end + timedelta(days=1), time(), timezone.utc))


@dataclass(frozen=True)
class _Read:
    records: list[figures.SubmissionRecord]
    titles: dict[str, str]
    names: dict[str, str]


def _records(session: Session, issuer_id: uuid.UUID, period: figures.Period, key: str | None) -> _Read:
    versions = {mc.id: mc for mc in session.scalars(
        select(MicroCredential).where(MicroCredential.issuer_id == issuer_id,
                                      *([MicroCredential.key == key] if key is not None else [])))}
    rubrics = {mc_id: figures.Rubric.from_json(mc.rubric) for mc_id, mc in versions.items()}
    titles: dict[str, str] = {}
    for mc in sorted(versions.values(), key=lambda m: m.version):
        titles[mc.key] = mc.title  # the newest version's title
    rows = session.scalars(
        select(Submission).where(
            Submission.issuer_id == issuer_id, Submission.microcredential_id.in_(list(versions)),
            Submission.submitted_at.is_not(None),
            or_(Submission.status == SubmissionStatus.SUBMITTED,
                and_(Submission.submitted_at < period.end,
                     or_(Submission.decided_at.is_(None), Submission.decided_at >= period.start))))
        .options(selectinload(Submission.assessments))).all()
    records = []
    assessor_ids: set[uuid.UUID] = set()
    for sub in rows:
        assert sub.submitted_at is not None
        mc = versions[sub.microcredential_id]
        scorings = tuple(figures.Scoring(str(a.assessor_id), dict(a.scores), a.lead_decision, a.created_at)
                         for a in sub.assessments)
        assessor_ids.update(a.assessor_id for a in sub.assessments)
        records.append(figures.SubmissionRecord(
            id=str(sub.id), key=mc.key, rubric=rubrics[mc.id], submitted_at=sub.submitted_at,
            decided_at=sub.decided_at, waiting=sub.status is SubmissionStatus.SUBMITTED, scorings=scorings,
            attempt=sub.attempt, decided_levels=dict(sub.decided_scores) if sub.decided_scores else None))
    names = {str(p.id): p.name for p in session.scalars(select(Person).where(Person.id.in_(list(assessor_ids))))} \
        if assessor_ids else {}
    return _Read(records, titles, names)


def report(session: Session, principal: Principal, start: date, end: date, key: str | None = None,
           *, now: datetime | None = None) -> QualityReport:
    """The figures of the caller's issuer (admins; the route checks the role) for [start, end], both included."""
    period = _period(start, end)
    moment = now or datetime.now(timezone.utc)
    with read(session):
        issuer = session.get_one(Issuer, principal.issuer_id)
        found = _records(session, issuer.id, period, key)
        sla, min_cell = issuer.quality_sla_days, issuer.quality_min_cell
    computed = figures.compute(found.records, period=period, now=moment, sla_days=sla, min_cell=min_cell)
    shown = [MicroCredentialQuality(key=f.key, title=found.titles.get(f.key, f.key), figures=f) for f in computed]
    named = {a.assessor for f in computed for a in f.assessors}
    return QualityReport(period_start=start, period_end=end, sla_days=sla, min_cell=min_cell, generated_at=moment,
                         assessors={a: found.names.get(a, a) for a in sorted(named)}, microcredentials=shown)


def _qualified(session: Session, issuer_id: uuid.UUID, key: str, period: figures.Period) -> int:
    """Assessors who held a qualification for ``key`` at some time in ``period`` (valid then, and not revoked
    from a date before the period began): those who could score in it."""
    rows = session.scalars(select(AssessorQualification).where(
        AssessorQualification.issuer_id == issuer_id, AssessorQualification.microcredential_key == key,
        AssessorQualification.valid_from < period.end, AssessorQualification.valid_until > period.start)).all()
    return len({r.assessor_id for r in rows
                if r.revoked_from is None or r.revoked_from > max(r.valid_from, period.start)})


def _statement_figures(found: figures.MicroCredentialFigures, *, subject: str, name: str, start: date, end: date,
                       qualified: int, sla_days: int) -> statements.StatementFigures:
    """What a statement publishes of the computed figures: only cells at or above the minimum (figures of a
    suppressed cell are None already, and so are withheld)."""
    agreement, turnaround = found.agreement, found.turnaround
    return statements.StatementFigures(
        microcredential=subject, name=name, period_start=start, period_end=end,
        minimum_cell_size=found.min_cell, assessors_qualified=qualified,
        decisions=found.decided if found.decided >= found.min_cell else None,
        double_scored=agreement.n if not agreement.suppressed else None,
        double_scoring_rate=found.double_scoring_rate,
        exact_agreement=agreement.exact, adjacent_agreement=agreement.adjacent, weighted_kappa=agreement.kappa,
        median_turnaround_days=turnaround.median_days, service_level_days=sla_days,
        within_service_level=turnaround.within_sla,
        criteria=tuple(statements.CriterionFigures(
            criterion=c.criterion, name=c.name, exact_agreement=c.agreement.exact,
            adjacent_agreement=c.agreement.adjacent, weighted_kappa=c.agreement.kappa, not_yet_rate=c.not_yet_rate)
            for c in found.criteria))


def _statement_read(row: QualityStatement, base: str, slug: str) -> StatementRead:
    return StatementRead(id=row.id, url=statement_url(base, slug, row.id), microcredential_key=row.microcredential_key,
                         period_start=row.period_start.date(), period_end=(row.period_end - timedelta(days=1)).date(),
                         issued_at=row.issued_at, withdrawn_at=row.withdrawn_at, document=row.document)


def publish_statement(session: Session, services: Services, principal: Principal, body: StatementPublish,
                      *, now: datetime | None = None) -> StatementRead:
    """Compute, sign and store a quality statement of one micro-credential key (admins). A key nobody submitted
    to in the period gets a statement with every figure withheld: that is what there is to say."""
    moment = (now or datetime.now(timezone.utc)).replace(microsecond=0)
    if (body.period_start is None) != (body.period_end is None):
        raise InvalidPeriod("give both period_start and period_end, or neither (the last full quarter)")
    start, end = ((body.period_start, body.period_end) if body.period_start is not None and body.period_end is not None
                  else last_full_quarter(moment.date()))
    period = _period(start, end)
    if period.end > moment:
        raise InvalidPeriod(f"the period must have ended: {end} is not over yet")
    base = services.public_base_url
    with transaction(session):
        issuer = session.get_one(Issuer, principal.issuer_id)
        found = _records(session, issuer.id, period, body.microcredential_key)
        if body.microcredential_key not in found.titles:
            raise UnknownMicroCredential(f"this issuer has no micro-credential {body.microcredential_key!r}")
        computed = next(iter(figures.compute(found.records, period=period, now=moment,
                                             sla_days=issuer.quality_sla_days, min_cell=issuer.quality_min_cell)),
                        None) or _empty(body.microcredential_key, issuer.quality_sla_days, issuer.quality_min_cell)
        did = issuer_did(base, issuer.slug)
        statement_id = uuid.uuid4()
        entry = status.reserve_entry(session, issuer.id, StatusPurpose.REVOCATION)
        status_entry = status.entry_for(base, issuer.slug, session.get_one(StatusList, entry.status_list_id),
                                        entry.status_index)
        content = _statement_figures(
            computed, subject=key_url(base, issuer.slug, body.microcredential_key),
            name=found.titles[body.microcredential_key], start=start, end=end,
            qualified=_qualified(session, issuer.id, body.microcredential_key, period),
            sla_days=issuer.quality_sla_days)
        try:
            document = statements.statement_credential(id=statement_url(base, issuer.slug, statement_id), issuer=did,
                                                       issuer_name=issuer.name, figures=content, valid_from=moment,
                                                       credential_status=status_entry)
            signed = sign_credential(document, services.keystore.load_or_create(issuer.slug, did), created=moment)
        except CredentialError as exc:
            raise Invalid(f"the statement cannot be signed: {exc}") from None
        # issued_at to the microsecond (the document's validFrom is to the second): the newest statement is the
        # one shown, also when two are published within a second.
        row = QualityStatement(id=statement_id, issuer_id=issuer.id, microcredential_key=body.microcredential_key,
                               period_start=period.start, period_end=period.end, document=signed,
                               issued_by=principal.person_id, issued_at=utcnow(), revocation_entry_id=entry.id)
        session.add(row)
        session.flush()
        audit(session, issuer_id=issuer.id, actor_id=principal.person_id, action="quality_statement.published",
              target=f"quality_statement:{row.id}", key=body.microcredential_key, period=f"{start}/{end}")
        return _statement_read(row, base, issuer.slug)


def withdraw_statement(session: Session, services: Services, principal: Principal, statement_id: uuid.UUID
                       ) -> StatementRead:
    """Withdraw one of the caller's issuer's statements (admins): its revocation bit is set, so it no longer
    verifies anywhere, and the newest statement not withdrawn is shown in its place. Withdrawing it again
    changes nothing. A statement published before statements carried a status entry cannot be withdrawn."""
    base = services.public_base_url
    with transaction(session):
        issuer = session.get_one(Issuer, principal.issuer_id)
        row = session.get(QualityStatement, statement_id)
        if row is None or row.issuer_id != issuer.id:
            raise StatementNotFound(f"no quality statement {statement_id} of this issuer")
        if row.revocation_entry_id is None:
            raise StatementNotWithdrawable("this statement was published without a status entry, so it cannot be "
                                           "withdrawn: publish a new one, which is then shown in its place")
        if row.withdrawn_at is None:
            entry = session.get_one(StatusEntry, row.revocation_entry_id)
            status.set_bit(session, issuer=issuer, list_id=entry.status_list_id, index=entry.status_index,
                           value=True, keystore=services.keystore, public_base_url=base)
            row.withdrawn_at = utcnow()
            audit(session, issuer_id=issuer.id, actor_id=principal.person_id, action="quality_statement.withdrawn",
                  target=f"quality_statement:{row.id}", key=row.microcredential_key)
        return _statement_read(row, base, issuer.slug)


def _empty(key: str, sla_days: int, min_cell: int) -> figures.MicroCredentialFigures:
    """The figures of a key with no submission in the period: every cell empty, so suppressed."""
    empty = figures.Agreement(n=0, pairs=0, suppressed=True, exact=None, adjacent=None, kappa=None)
    return figures.MicroCredentialFigures(
        key=key, min_cell=min_cell, decided=0, double_scored=0, double_scoring_rate=None, agreement=empty,
        criteria=(), assessors=(), months=(),
        turnaround=figures.Turnaround(n=0, suppressed=True, sla_days=sla_days, median_days=None, p90_days=None,
                                      within_sla=None, bins=()),
        overdue=())


def statement_document(session: Session, slug: str, statement_id: uuid.UUID) -> dict[str, Any]:
    """One statement by the id its credential carries (public)."""
    with read(session):
        found = session.execute(select(QualityStatement.document).join(Issuer, Issuer.id == QualityStatement.issuer_id)
                                .where(Issuer.slug == slug, QualityStatement.id == statement_id)).scalar()
    if found is None:
        raise StatementNotFound(f"no quality statement {statement_id} of {slug}")
    return dict(found)


def latest_row(session: Session, slug: str, key: str) -> QualityStatement | None:
    """The newest statement of ``slug``'s micro-credential ``key`` not withdrawn (in the caller's transaction)."""
    return session.scalars(
        select(QualityStatement).join(Issuer, Issuer.id == QualityStatement.issuer_id)
        .where(Issuer.slug == slug, QualityStatement.microcredential_key == key,
               QualityStatement.withdrawn_at.is_(None))
        .order_by(QualityStatement.issued_at.desc(), QualityStatement.period_end.desc()).limit(1)).first()


def latest_statement(session: Session, slug: str, key: str) -> dict[str, Any]:
    """The newest statement of a micro-credential (public)."""
    with read(session):
        row = latest_row(session, slug, key)
        if row is None:
            raise StatementNotFound(f"{slug} has published no quality statement for {key!r}")
        return dict(row.document)


def statements_of(session: Session, services: Services, principal: Principal, key: str | None) -> list[StatementRead]:
    """The caller's issuer's statements, newest first (admins)."""
    with read(session):
        issuer = session.get_one(Issuer, principal.issuer_id)
        rows = session.scalars(select(QualityStatement).where(
            QualityStatement.issuer_id == issuer.id, *([QualityStatement.microcredential_key == key] if key else []))
            .order_by(QualityStatement.issued_at.desc())).all()
        return [_statement_read(r, services.public_base_url, issuer.slug) for r in rows]

