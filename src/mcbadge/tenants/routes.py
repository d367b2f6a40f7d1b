"""``/api/v1/operator/tenants``: the platform operator creates, lists, disables and enables organisations,
and recovers access with a new key (an operator key, ``mcbop_…``, made by ``mcbadge operator-keys create``)."""

from __future__ import annotations

from fastapi import APIRouter, Body

from ..api.auth import CurrentOperator
from ..api.deps import PageDep, ServicesDep, SessionDep
from ..api.problems import responses
from ..errors import Invalid
from ..features import Page
from . import service
from .schemas import KeyCreate, KeyIssued, PeopleImported, Slug, TenantCreate, TenantCreated, TenantRead

router = APIRouter(prefix="/api/v1/operator/tenants", tags=["operator"])


@router.post("", status_code=201, response_model=TenantCreated, responses=responses(service.TenantExists, Invalid))
def create_tenant(body: TenantCreate, session: SessionDep, services: ServicesDep,
                  operator: CurrentOperator) -> TenantCreated:
    """Create an organisation (district, state agency or provider) with its DID, signing key and first
    admin; the admin's API key is in the answer, this once."""
    return service.create_tenant(session, services, body, operator=operator.name)


@router.get("", response_model=Page[TenantRead], responses=responses())
def list_tenants(session: SessionDep, services: ServicesDep, operator: CurrentOperator,
                 page: PageDep) -> Page[TenantRead]:
    """Every organisation on this service, disabled ones included."""
    return service.list_tenants(session, services, page)


@router.get("/{slug}", response_model=TenantRead, responses=responses(service.UnknownTenant))
def get_tenant(slug: Slug, session: SessionDep, services: ServicesDep, operator: CurrentOperator) -> TenantRead:
    return service.get_tenant(session, services, slug)


@router.post("/{slug}/disable", response_model=TenantRead, responses=responses(service.UnknownTenant))
def disable_tenant(slug: Slug, session: SessionDep, services: ServicesDep, operator: CurrentOperator) -> TenantRead:
    """Refuse the organisation's keys and tokens (nothing new is issued); what it issued keeps verifying."""
    return service.set_disabled(session, services, slug, True, operator=operator.name)


@router.post("/{slug}/enable", response_model=TenantRead, responses=responses(service.UnknownTenant))
def enable_tenant(slug: Slug, session: SessionDep, services: ServicesDep, operator: CurrentOperator) -> TenantRead:
    return service.set_disabled(session, services, slug, False, operator=operator.name)


@router.post("/{slug}/keys", status_code=201, response_model=KeyIssued,
             responses=responses(service.UnknownTenant, service.UnknownPerson, service.RoleMismatch, Invalid))
def issue_key(slug: Slug, body: KeyCreate, session: SessionDep, operator: CurrentOperator) -> KeyIssued:
    """A new API key for a person of the organisation (created if ``name`` is given): how an organisation
    that lost its admin's key gets back in."""
    return service.issue_key(session, slug, body, operator=operator.name)


@router.post("/{slug}/people/import", response_model=PeopleImported,
             responses=responses(service.UnknownTenant, service.UnreadablePeopleFile, Invalid))
def import_people(slug: Slug, session: SessionDep, operator: CurrentOperator,
                  text: str = Body(media_type="text/csv", description="CSV with a header row: email, name, role.",
                                   max_length=20_000_000)) -> PeopleImported:
    """Add people from CSV; each bad row is reported with its number and reason, the good ones are added."""
    return service.import_people(session, slug, text, operator=operator.name)
