"""The quality label shown next to a credential (the badge page, the verification page and ``POST /verify``):
"scored by a qualified assessor; this micro-credential's scoring agreement <period>: κ = 0.78".

Two parts, each only when it holds:

* *scored by a qualified assessor*: the credential's own ``assessor_qualification`` check passed (the
  qualifications it cites verify and were valid at the assessment, ``vc.verify``);
* the agreement: the newest quality statement of the credential's micro-credential (its Achievement id made
  into the micro-credential across versions, ``vc.qualification.microcredential_key_url``) that its issuer
  published and did not withdraw, verified as anyone would verify it (``vc.quality.verify_statement``: the
  issuer's signature, its status, and that it is about this micro-credential and signed by the credential's
  issuer). Issued here, it is read from the database. Issued by another mcbadge deployment (a teacher who
  moved brings a credential of another district), it is fetched through the guarded outbound client from
  beside the issuer's DID document, ``<DID path>/quality-statements?microcredential=<key>`` (mcbadge's own
  convention, as for recognition registries; asked only when the Achievement id lies under that same path, so
  nothing is asked of issuers that follow another convention): a state that requires a minimum scoring
  agreement can then judge credentials from every mcbadge deployment, not only this one's.

The statement row is read in its own short read transaction and verified after it (verifying may re-sign one
of this service's status lists, which must not happen inside a transaction; see ``vetting.labels``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

from ..db.session import read
from ..outbound import OutboundError
from ..services import Services
from ..vc.dids import did_web_to_url
from ..vc.errors import DidResolutionError
from ..vc.json_values import as_list, issuer_id
from ..vc.qualification import microcredential_key_url
from ..vc.quality import StatementVerification, agreement_phrase, verify_statement
from ..vc.verify import Outcome, VerificationReport
from .service import latest_row

__all__ = ["QualityLabel", "newest_statement", "quality_label", "statement_kappa"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QualityLabel:
    qualified_assessor: bool
    """The credential cites assessor qualifications and its ``assessor_qualification`` check passed."""
    statement: str | None
    """The id (URL) of the quality statement shown, or None."""
    agreement: str | None
    """The statement's headline in words (``vc.quality.agreement_phrase``)."""
    weighted_kappa: float | None
    period_start: str | None
    period_end: str | None

    @property
    def text(self) -> str:
        """One sentence for people."""
        parts = []
        if self.qualified_assessor:
            parts.append("Scored by a qualified assessor")
        if self.agreement is not None:
            parts.append(f"this micro-credential's {self.agreement}")
        sentence = "; ".join(parts)
        return sentence[:1].upper() + sentence[1:] + "." if sentence else ""

    def to_dict(self) -> dict[str, Any]:
        return {"qualifiedAssessor": self.qualified_assessor, "statement": self.statement,
                "agreement": self.agreement, "weightedKappa": self.weighted_kappa,
                "periodStart": self.period_start, "periodEnd": self.period_end, "text": self.text}


def _key_url(credential: Mapping[str, Any]) -> str | None:
    """The micro-credential (every version) the credential's Achievement belongs to, or None."""
    subjects = [s for s in as_list(credential.get("credentialSubject")) if isinstance(s, Mapping)]
    achievement = subjects[0].get("achievement") if subjects else None
    achievement_id = achievement.get("id") if isinstance(achievement, Mapping) else None
    return microcredential_key_url(achievement_id) if isinstance(achievement_id, str) else None


def _own_key(services: Services, key_url: str) -> tuple[str, str] | None:
    """(issuer slug, micro-credential key) when ``key_url`` is a micro-credential of this service."""
    prefix = services.public_base_url + "/issuers/"
    if not key_url.startswith(prefix):
        return None
    slug, separator, key = key_url[len(prefix):].partition("/microcredentials/")
    if not separator or not slug or "/" in slug or not key or "/" in key:
        return None
    return slug, unquote(key)


def _published_elsewhere(services: Services, credential: Mapping[str, Any], key_url: str) -> Any:
    """The statement document another mcbadge deployment serves for ``key_url``, a micro-credential of the
    credential's issuer there; None when it is not one, or no statement could be read."""
    issuer = issuer_id(credential)
    if not isinstance(issuer, str) or not issuer.startswith("did:web:"):
        return None
    try:
        issuer_path = did_web_to_url(issuer).removesuffix("/did.json")
    except DidResolutionError:
        return None
    key = key_url.removeprefix(issuer_path + "/microcredentials/")
    if key == key_url or not key or "/" in key:
        return None  # not mcbadge's layout under this issuer: nothing to ask for
    url = f"{issuer_path}/quality-statements?microcredential={key}"  # the key is already URL-encoded in the id
    try:  # with the HTTP cache of what issuers publish (a statement is served with max-age=300)
        return services.published_documents(url).credential
    except OutboundError as exc:  # none published (404), or the host is down: no label, never a failure
        log.info("no quality statement from %s: %s", url, exc)
        return None


def newest_statement(services: Services, credential: Mapping[str, Any], *, now: datetime | None = None
                     ) -> StatementVerification | None:
    """The newest quality statement of ``credential``'s micro-credential that its issuer published (here or on
    another mcbadge deployment) and did not withdraw, if it verifies (signed by the credential's issuer, about
    that micro-credential, not revoked); None otherwise."""
    key_url = _key_url(credential)
    if key_url is None:
        return None
    own = _own_key(services, key_url)
    if own is not None:
        with services.sessions() as session, read(session):
            row = latest_row(session, *own)
            document = dict(row.document) if row is not None else None
    else:
        document = _published_elsewhere(services, credential, key_url)
    if not isinstance(document, Mapping):
        return None
    checked = verify_statement(
        document, resolver=services.resolver, now=now or datetime.now(timezone.utc), microcredential=key_url,
        expected_issuer=issuer_id(credential) or "", canonicalizer=services.contexts.canonicalizer_for(document),
        document_cache=services.document_cache, status_fetcher=services.status_fetcher)
    return checked if checked.verified else None


def statement_kappa(statement: StatementVerification | None) -> float | None:
    """The overall weighted kappa a verified statement states (None: no statement, or the figure withheld)."""
    kappa = statement.subject.get("weightedKappa") if statement is not None else None
    return float(kappa) if isinstance(kappa, (int, float)) and not isinstance(kappa, bool) else None


def quality_label(services: Services, report: VerificationReport, *, now: datetime | None = None
                  ) -> QualityLabel | None:
    """The label for a verified credential (None when there is nothing to say, or it did not verify)."""
    credential = report.credential
    if credential is None or not report.verified:
        return None
    qualification = report.check("assessor_qualification")
    qualified = qualification is not None and qualification.outcome is Outcome.PASSED
    statement = newest_statement(services, credential, now=now)
    if statement is not None:
        subject = statement.subject
        return QualityLabel(
            qualified_assessor=qualified, statement=str(statement.document.get("id")),
            agreement=agreement_phrase(subject), weighted_kappa=statement_kappa(statement),
            period_start=str(subject.get("periodStart")), period_end=str(subject.get("periodEnd")))
    if qualified:
        return QualityLabel(True, None, None, None, None, None)
    return None
