"""Pushing credentials to another host's 1EdTech OB 3.0 API, as its client ("service consumer, write").

An educator connects their account at another host (:func:`connect`): this service reads the host's
discovery document (``/ims/ob/v3p0/discovery``), registers itself there as an OAuth client (RFC 7591, with the
members OB 3.0 requires) and hands back the host's authorization URL (authorization code with PKCE S256, scope
``credential.upsert``). The educator approves on the host's consent page; the host sends them back to
``/ob-connections/callback`` (:func:`complete`), where the code becomes tokens. The issuer (an admin) or the
educator then pushes credentials (:func:`push`): upsertCredential for each, the access token refreshed when it
has expired or the host says it is no longer valid. The receiving host verifies each credential before it
stores it; its refusal (a revoked credential, a token without the scope) comes back per credential with the
host's own reason.

Every request to the other host goes through the guarded client (``outbound``): https only in production,
public addresses only, bounded in size and time. The client secret and the tokens are kept sealed (``sealing``:
AES-GCM under a key derived from the passphrase that guards the signing keys), bound to their row.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import sealing
from ..credentials.service import CredentialNotFound
from ..db.models import Credential, Issuer, Role
from ..db.ob_push_models import ObConnection
from ..db.session import read, transaction
from ..errors import Conflict, Forbidden, Invalid, NotFound, UpstreamFailed
from ..features import audit
from ..outbound import FetchResult, OutboundError
from ..principal import Principal
from ..services import Services

__all__ = ["ConnectionNotFound", "HostFailed", "PushResult", "complete", "connect", "push"]

DISCOVERY_PATH = "/ims/ob/v3p0/discovery"
UPSERT_SCOPE = "https://purl.imsglobal.org/spec/ob/v3p0/scope/credential.upsert"
CALLBACK_PATH = "/ob-connections/callback"
SEALING_PURPOSE = "ob-connection tokens"
MAX_PUSH = 100
"""Credentials one push sends at most."""


class HostFailed(UpstreamFailed):
    """The other host could not be used: unreachable, not an OB 3.0 API, or it refused registration or tokens."""

    code = "ob-host-failed"


class ConnectionNotFound(NotFound):
    code = "ob-connection-not-found"


class NotConnected(Conflict):
    """The connection has no tokens (the educator has not approved it, or denied it)."""

    code = "ob-not-connected"


@dataclass(frozen=True)
class Connecting:
    connection_id: uuid.UUID
    authorization_url: str


@dataclass(frozen=True)
class PushResult:
    """What the other host answered for one credential: ``stored`` (created or replaced) or ``refused``."""

    credential_id: uuid.UUID
    outcome: str  # created | replaced | refused
    status: int
    reason: str | None = None


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _version() -> str:
    try:
        return version("mcbadge")
    except PackageNotFoundError:
        return "0.0.0"


def _json(result: FetchResult) -> Any:
    try:
        return json.loads(result.content)
    except ValueError:
        return None


def _host_reason(result: FetchResult) -> str:
    """The other host's own words for a refusal: an ``Imsx_StatusInfo`` description, an OAuth error, or the status."""
    body = _json(result)
    if isinstance(body, dict):
        for key in ("imsx_description", "error_description", "detail", "error"):
            if isinstance(body.get(key), str) and body[key]:
                return str(body[key])[:1000]
    return f"HTTP {result.status_code}"


def _post(services: Services, url: str, *, form: Mapping[str, str] | None = None, body: Any = None,
          text: str | None = None, headers: Mapping[str, str] | None = None) -> FetchResult:
    if form is not None:
        content, media = urlencode(form).encode(), "application/x-www-form-urlencoded"
    elif text is not None:
        content, media = text.encode(), "text/plain"
    else:
        content, media = json.dumps(body).encode(), "application/json"
    try:
        return services.outbound.post_and_read(url, content=content, content_type=media, headers=headers)
    except OutboundError as exc:
        raise HostFailed(f"{url}: {exc}") from None


def _oauth_flow(discovery: Any) -> tuple[str, str, str, str]:
    """(API base URL, registration URL, authorization URL, token URL) from an OB 3.0 discovery document."""
    try:
        api_url = discovery["servers"][0]["url"]
        schemes = discovery["components"]["securitySchemes"]
        scheme = next(s for s in schemes.values() if isinstance(s, dict) and s.get("type") == "oauth2")
        flow = scheme["flows"]["authorizationCode"]
        values = (api_url, scheme["x-imssf-registrationUrl"], flow["authorizationUrl"], flow["tokenUrl"])
    except (KeyError, IndexError, TypeError, StopIteration):
        raise HostFailed("the host's discovery document does not describe an OB 3.0 API with OAuth 2.0 "
                         "(servers, x-imssf-registrationUrl, authorizationCode flow)") from None
    if not all(isinstance(v, str) and v for v in values):
        raise HostFailed("the host's discovery document has an empty URL")
    return values[0].rstrip("/"), values[1], values[2], values[3]


def connect(session: Session, services: Services, principal: Principal, host: str) -> Connecting:
    """Register at ``host`` and start the educator's authorization (see the module docstring)."""
    if principal.role is not Role.EDUCATOR:
        raise Forbidden("an educator connects their own account at another host")
    host = host.strip().rstrip("/")
    try:
        discovery = services.outbound.fetch_json(host + DISCOVERY_PATH)
    except OutboundError as exc:
        raise HostFailed(f"cannot read {host}{DISCOVERY_PATH}: {exc}") from None
    api_url, registration_url, authorization_url, token_url = _oauth_flow(discovery)
    base = services.public_base_url
    with read(session):
        issuer_name = session.get_one(Issuer, principal.issuer_id).name
    redirect_uri = base + CALLBACK_PATH
    registered = _post(services, registration_url, body={
        "client_name": f"{issuer_name} (mcbadge)", "client_uri": base + "/", "logo_uri": base + "/assets/logo.png",
        "tos_uri": base + "/", "policy_uri": base + "/", "software_id": "mcbadge", "software_version": _version(),
        "redirect_uris": [redirect_uri], "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"], "scope": UPSERT_SCOPE, "token_endpoint_auth_method": "client_secret_basic"})
    client = _json(registered)
    if registered.status_code != 201 or not isinstance(client, dict) or not isinstance(client.get("client_id"), str):
        raise HostFailed(f"the host refused to register this service as a client: {_host_reason(registered)}")
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(32)
    connection_id = uuid.uuid4()
    secret = client.get("client_secret")
    with transaction(session):
        connection = ObConnection(
            id=connection_id, issuer_id=principal.issuer_id, educator_id=principal.person_id, host=host, api_url=api_url,
            token_url=token_url, client_id=client["client_id"],
            client_secret=_seal(services, connection_id, secret) if isinstance(secret, str) else None,
            redirect_uri=redirect_uri, scope=UPSERT_SCOPE, status="pending", state_hash=_digest(state),
            code_verifier=verifier, created_at=_now())
        session.add(connection)
        session.flush()
        audit(session, issuer_id=principal.issuer_id, actor_id=principal.person_id, action="ob_connection.started",
              target=f"ob_connection:{connection.id}", host=host)
    query = urlencode({"response_type": "code", "client_id": client["client_id"], "redirect_uri": redirect_uri,
                       "scope": UPSERT_SCOPE, "state": state, "code_challenge": challenge,
                       "code_challenge_method": "S256"})
    separator = "&" if "?" in authorization_url else "?"
    return Connecting(connection.id, authorization_url + separator + query)


def _seal(services: Services, connection_id: uuid.UUID, secret: str) -> str:
    return sealing.seal(services.keystore, SEALING_PURPOSE, connection_id, secret)


def _unseal(services: Services, connection_id: uuid.UUID, sealed: str | None) -> str | None:
    if sealed is None:
        return None
    try:
        return sealing.unseal(services.keystore, SEALING_PURPOSE, connection_id, sealed)
    except sealing.Unsealable:
        raise NotConnected("this connection's tokens cannot be read (the key passphrase changed?): connect "
                           "again") from None


def _basic(services: Services, connection: ObConnection) -> dict[str, str]:
    secret = _unseal(services, connection.id, connection.client_secret)
    if secret is None:
        return {}
    pair = f"{connection.client_id}:{secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


def _store_tokens(services: Services, connection: ObConnection, tokens: Mapping[str, Any], now: datetime) -> None:
    connection.access_token = _seal(services, connection.id, str(tokens["access_token"]))
    if isinstance(tokens.get("refresh_token"), str):
        # Rotating: the new one replaces the old.
        connection.refresh_token = _seal(services, connection.id, tokens["refresh_token"])
    expires_in = tokens.get("expires_in")
    connection.access_expires_at = now + timedelta(seconds=int(expires_in)) if isinstance(expires_in, int) else None


def _token_request(services: Services, connection: ObConnection, form: Mapping[str, str]) -> dict[str, Any]:
    result = _post(services, connection.token_url, form=form, headers=_basic(services, connection))
    tokens = _json(result)
    if result.status_code != 200 or not isinstance(tokens, dict) or not isinstance(tokens.get("access_token"), str):
        raise HostFailed(f"the host's token endpoint refused: {_host_reason(result)}")
    return tokens


def complete(session: Session, services: Services, *, state: str, code: str | None, error: str | None) -> ObConnection:
    """The educator is back from the other host's consent page: exchange the code for tokens."""
    with transaction(session):
        connection = session.scalars(select(ObConnection).where(ObConnection.state_hash == _digest(state),
                                                                ObConnection.status == "pending")).first()
        if connection is None:
            raise ConnectionNotFound("no connection is waiting for this answer (it was used, or never started)")
        connection.state_hash = None  # one answer per authorization request
        denied = bool(error) or not code
        if denied:
            connection.status, connection.code_verifier = "denied", None
        verifier = connection.code_verifier or ""
    if denied:
        raise NotConnected(f"the host did not grant access: {error or 'no code'}")
    now = _now()
    tokens = _token_request(services, connection, {"grant_type": "authorization_code", "code": code or "",
                                                   "redirect_uri": connection.redirect_uri, "code_verifier": verifier})
    with transaction(session):
        connection = session.get_one(ObConnection, connection.id)
        _store_tokens(services, connection, tokens, now)
        connection.status, connection.code_verifier, connection.connected_at = "connected", None, now
        audit(session, issuer_id=connection.issuer_id, actor_id=connection.educator_id,
              action="ob_connection.connected", target=f"ob_connection:{connection.id}", host=connection.host)
    return connection


def _refresh(session: Session, services: Services, connection: ObConnection) -> None:
    refresh_token = _unseal(services, connection.id, connection.refresh_token)
    if not refresh_token:
        raise NotConnected("the access token expired and the host gave no refresh token: connect again")
    now = _now()
    tokens = _token_request(services, connection, {"grant_type": "refresh_token", "refresh_token": refresh_token})
    with transaction(session):
        row = session.get_one(ObConnection, connection.id)
        _store_tokens(services, row, tokens, now)
        connection.access_token, connection.refresh_token = row.access_token, row.refresh_token
        connection.access_expires_at = row.access_expires_at


def _upsert(services: Services, connection: ObConnection, credential: Credential) -> FetchResult:
    headers = {"Authorization": f"Bearer {_unseal(services, connection.id, connection.access_token)}"}
    if credential.format == "jwt" and credential.jwt:
        return _post(services, connection.api_url + "/credentials", text=credential.jwt, headers=headers)
    return _post(services, connection.api_url + "/credentials", body=credential.document, headers=headers)


def push(session: Session, services: Services, principal: Principal, connection_id: uuid.UUID,
         credential_ids: Sequence[uuid.UUID]) -> list[PushResult]:
    """upsertCredential of each credential at the connection's host; the host's answer for each."""
    ids = list(dict.fromkeys(credential_ids))
    if not ids or len(ids) > MAX_PUSH:
        raise Invalid(f"push between 1 and {MAX_PUSH} credentials")
    with transaction(session):
        connection = session.get(ObConnection, connection_id)
        if connection is None or connection.issuer_id != principal.issuer_id or not (
                principal.role is Role.ADMIN or principal.person_id == connection.educator_id):
            raise ConnectionNotFound(f"no connection {connection_id}")
        if connection.status != "connected":
            raise NotConnected(f"the connection to {connection.host} is {connection.status}: the educator has not "
                               "approved it at the host")
        rows = {c.id: c for c in session.scalars(select(Credential).where(
            Credential.id.in_(ids), Credential.issuer_id == principal.issuer_id,
            Credential.educator_id == connection.educator_id))}
        missing = [str(i) for i in ids if i not in rows]
        if missing:
            raise CredentialNotFound(f"no credential {', '.join(missing)} of this connection's educator")
        session.expunge_all()  # read: the HTTP calls below happen outside any transaction
    if connection.access_expires_at is not None and connection.access_expires_at <= _now() + timedelta(seconds=30):
        _refresh(session, services, connection)
    results: list[PushResult] = []
    for credential_id in ids:
        answer = _upsert(services, connection, rows[credential_id])
        if answer.status_code == 401:  # expired or revoked there: refresh once, then try again
            _refresh(session, services, connection)
            answer = _upsert(services, connection, rows[credential_id])
        if answer.status_code in (200, 201):
            results.append(PushResult(credential_id, "created" if answer.status_code == 201 else "replaced",
                                      answer.status_code))
        else:
            results.append(PushResult(credential_id, "refused", answer.status_code,
                                      f"{connection.host} refused it: {_host_reason(answer)}"))
    with transaction(session):
        audit(session, issuer_id=principal.issuer_id, actor_id=principal.person_id, action="ob_connection.pushed",
              target=f"ob_connection:{connection.id}", host=connection.host,
              results={str(r.credential_id): r.outcome for r in results})
    return results
