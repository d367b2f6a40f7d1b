"""Read and change the caller's issuer (tenant)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ..db.models import Issuer
from ..db.session import transaction
from ..errors import Invalid
from ..features import audit
from ..identity import issuer_did
from ..principal import Principal
from .schemas import IssuerRead, IssuerUpdate


def _read(issuer: Issuer, public_base_url: str) -> IssuerRead:
    return IssuerRead.model_validate({**{c: getattr(issuer, c) for c in IssuerRead.model_fields if c != "did"},
                                      "did": issuer_did(public_base_url, issuer.slug)})


def get_issuer(session: Session, principal: Principal, public_base_url: str) -> IssuerRead:
    with transaction(session):
        return _read(session.get_one(Issuer, principal.issuer_id), public_base_url)


def update_issuer(session: Session, principal: Principal, body: IssuerUpdate, public_base_url: str) -> IssuerRead:
    changes = body.model_dump(exclude_unset=True, exclude={"no_expiry"})
    if body.no_expiry and body.validity_days is not None:
        raise Invalid("give either validity_days or no_expiry, not both")
    with transaction(session):
        issuer = session.get_one(Issuer, principal.issuer_id)
        for field, value in changes.items():
            if value is None and field in {"name", "auto_approve", "second_scoring", "auto_award_designations",
                                           "require_qualification", "calibration_exact_percent",
                                           "second_scoring_percent", "second_score_borderline",
                                           "calibration_set_size", "qualification_validity_days", "suspension_status",
                                           "quality_sla_days", "quality_min_cell"}:
                raise Invalid(f"{field} cannot be empty")
            setattr(issuer, field, str(value) if field in {"url", "image_url"} and value is not None else value)
        if body.no_expiry:
            issuer.validity_days = None
        audit(session, issuer_id=issuer.id, actor_id=principal.person_id, action="issuer.updated",
              target=f"issuer:{issuer.slug}", fields=sorted(changes) + (["validity_days"] if body.no_expiry else []))
        return _read(issuer, public_base_url)
