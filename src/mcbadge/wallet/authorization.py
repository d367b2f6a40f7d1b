"""Wallet delivery by the OpenID4VCI 1.0 authorization code flow (§5): the earner approves the wallet here.

An offer (``wallet.service.create_offer``) carries an ``authorization_code`` grant with an ``issuer_state``
beside its pre-authorized code. A wallet that takes that grant sends the earner's browser to ``/oauth/authorize``
with the ``issuer_state``, its ``client_id``, its ``redirect_uri`` and a PKCE challenge (S256, required). The
earner sees which credential goes to which wallet (:func:`authorization_request`), signs in with their API key
(mcbadge has no passwords) and approves (:func:`approve`) or denies (:func:`deny`); the browser goes back to the
wallet with a one-time code (and ``state``, and ``iss`` as RFC 9207 says). The wallet redeems the code at
``/oauth/token`` with its PKCE verifier (:func:`redeem_authorization_code`) for the same access token the
pre-authorized code gives: the credential endpoint, once, for this offer's credential.

Why not the OAuth server of the OB 3.0 API (``mcbadge.oauth``, Authlib): wallets are not registered clients
there (a wallet app is public: no secret, and OB 3.0's registration profile is not what wallets send), and what
they ask for is one offer's credential, not an API scope. The client here is identified by the ``issuer_state``,
which only the earner's own offer holds; the redirect URI cannot be checked against a registration, so nothing is
ever redirected to it before the earner has signed in and chosen, the consent page names its host, and the code
is bound to it, to the client id and to the PKCE challenge. An error before that choice is shown on the page.

Errors are OAuth-style (``WalletProtocolError``): on the page before a decision, at the token endpoint after.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.models import Credential, Role
from ..db.session import read, transaction
from ..db.wallet_models import WalletOffer
from ..features import audit
from ..oauth.redirects import with_query
from ..principal import authenticate
from ..services import Services
from ..vc.json_values import as_list, strict_loads
from .service import (
    CONFIGURATIONS,
    InvalidGrant,
    WalletProtocolError,
    digest,
    now_utc,
    redeem,
    token_response,
)

__all__ = [
    "AUTHORIZATION_CODE_PREFIX",
    "RedirectTarget",
    "WalletAuthorization",
    "approve",
    "authorization_request",
    "deny",
    "is_wallet_code",
    "is_wallet_request",
    "redeem_authorization_code",
    "redirect_target",
]

AUTHORIZATION_CODE_PREFIX = "mcbwc_"
"""Wallet authorization codes read ``mcbwc_<random>``: the token endpoint tells them from the OB 3.0 API's."""
CODE_TTL = timedelta(minutes=5)
"""How long the wallet has to redeem the code once the earner approved (it does so at once when it works)."""
PARAMS = ("response_type", "client_id", "redirect_uri", "state", "code_challenge", "code_challenge_method",
          "issuer_state", "scope", "authorization_details", "resource")
"""The authorization request's parameters, carried through the consent form as hidden fields."""
_CODE_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")  # RFC 7636 §4.1
_CODE_CHALLENGE = re.compile(r"^[A-Za-z0-9\-_]{43}$")  # base64url of a SHA-256 digest, unpadded
_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*$")
# Schemes a browser would run or read locally rather than hand to an app or a web server.
_NEVER_REDIRECT = {"javascript", "data", "file", "vbscript", "about", "blob", "filesystem", "view-source", "ws",
                   "wss", "ftp"}


class InvalidClient(WalletProtocolError):
    error = "invalid_client"
    status = 401


class InvalidAuthorizationDetails(WalletProtocolError):
    error = "invalid_authorization_details"  # RFC 9396 §5


class AccessDenied(WalletProtocolError):
    error = "access_denied"
    status = 403


@dataclass(frozen=True)
class WalletAuthorization:
    """A wallet's authorization request for one offer, as the consent page shows it."""

    params: Mapping[str, str]
    """The request's parameters (:data:`PARAMS`), for the form to carry."""
    client_id: str
    redirect_uri: str
    redirect: RedirectTarget
    credential_name: str
    expires_at: datetime


def is_wallet_request(params: Mapping[str, str]) -> bool:
    """Whether an authorization request is a wallet's for an offer (it names the offer's ``issuer_state``)."""
    return bool(params.get("issuer_state"))


def is_wallet_code(code: str | None) -> bool:
    return bool(code) and str(code).startswith(AUTHORIZATION_CODE_PREFIX)


@dataclass(frozen=True)
class RedirectTarget:
    """Where the earner's browser goes back to, as the consent page names it and its policy allows it."""

    shown: str
    """The host (and port) people read, or the app's scheme."""
    form_action: str
    """The origin (or ``scheme:``) the consent page's Content-Security-Policy lets its form lead to."""


def redirect_target(uri: str) -> RedirectTarget:
    """The redirect URI's target; WalletProtocolError for a URI no code may be sent to. RFC 8252: https; http only
    to the device's loopback interface by its IP literal (§7.3, §8.3); an app's own reverse-domain scheme (§7.1).
    Never a fragment (RFC 6749 §3.1.2), user information (``trusted@evil.example`` reads as the one and goes to
    the other, RFC 9700 §4.1), a backslash (which browsers read as a slash), or anything but printable ASCII
    (RFC 3986: a URI is ASCII; the Location header must be)."""
    if len(uri) > 2000 or not uri.isascii() or not uri.isprintable() or " " in uri or "\\" in uri:
        raise WalletProtocolError("redirect_uri must be a URI of printable ASCII characters, without spaces or "
                                  "backslashes, at most 2000 characters")
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        raise WalletProtocolError("redirect_uri is not a URI") from None
    scheme = parts.scheme.lower()
    if not _SCHEME.match(scheme) or parts.fragment or "#" in uri:
        raise WalletProtocolError("redirect_uri must be an absolute URI without a fragment")
    if scheme in _NEVER_REDIRECT:
        raise WalletProtocolError(f"redirect_uri may not use the {scheme}: scheme")
    if "@" in parts.netloc:
        raise WalletProtocolError("redirect_uri may not carry user information (name@host)")
    if scheme in ("http", "https"):
        host = parts.hostname or ""
        if not host:
            raise WalletProtocolError("redirect_uri has no host")
        if scheme == "http":
            try:
                loopback = ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = False
            if not loopback:
                raise WalletProtocolError("redirect_uri must be https (http only to this device's loopback "
                                          "interface by its address, 127.0.0.1 or [::1]: RFC 8252 §7.3)")
        shown = f"[{host}]" if ":" in host else host
        shown += f":{port}" if port is not None else ""
        # CSP host sources cannot name an IPv6 address: the scheme alone then (the address rules above still hold).
        return RedirectTarget(shown, f"{scheme}:" if ":" in host else f"{scheme}://{shown}")
    if "." not in scheme:
        raise WalletProtocolError("an app's redirect_uri scheme must be a reverse domain name it controls, such as "
                                  "org.example.wallet (RFC 8252 §7.1)")
    return RedirectTarget(f"the app that opens {scheme}: links", f"{scheme}:")


def _credential_name(credential: Credential) -> str:
    document = credential.document or {}
    subjects = [s for s in as_list(document.get("credentialSubject")) if isinstance(s, Mapping)]
    achievement = subjects[0].get("achievement") if subjects else None
    name = achievement.get("name") if isinstance(achievement, Mapping) else None
    return name if isinstance(name, str) and name else "your credential"


def _open_offer(session: Session, params: Mapping[str, str], now: datetime, *, lock: bool = False) -> WalletOffer:
    query = select(WalletOffer).where(WalletOffer.issuer_state_hash == digest(params["issuer_state"]))
    offer = session.scalars(query.with_for_update() if lock else query).first()
    if offer is None:
        raise InvalidGrant("the issuer_state names no offer of this service")
    if offer.redeemed_at is not None or offer.authorization_code_hash is not None:
        raise InvalidGrant("this offer was already used: make a new one on the credential's page")
    if offer.expires_at <= now:
        raise InvalidGrant("the offer has expired: make a new one on the credential's page")
    return offer


def requested_configurations(params: Mapping[str, str]) -> list[str] | None:
    """The credential configurations a request's ``authorization_details`` names (OID4VCI 1.0 §5.1.1: objects of
    type ``openid_credential``, each with a ``credential_configuration_id`` this issuer offers), or None when it
    has none (the offer alone says what is asked for). WalletProtocolError for details that are not those."""
    raw = params.get("authorization_details")
    if not raw:
        return None
    try:
        details = strict_loads(raw) if len(raw) <= 4000 else None
    except ValueError:
        details = None
    if not isinstance(details, list) or not details or len(details) > len(CONFIGURATIONS):
        raise InvalidAuthorizationDetails("authorization_details must be a JSON array of one or two "
                                          "openid_credential objects")
    wanted: list[str] = []
    for detail in details:
        configuration = detail.get("credential_configuration_id") if isinstance(detail, dict) else None
        if not isinstance(detail, dict) or detail.get("type") != "openid_credential" or \
                not isinstance(configuration, str) or configuration not in CONFIGURATIONS:
            raise InvalidAuthorizationDetails("each authorization_details entry is {\"type\": \"openid_credential\", "
                                              "\"credential_configuration_id\": one of "
                                              f"{', '.join(CONFIGURATIONS)}}}")
        if configuration not in wanted:
            wanted.append(configuration)
    return wanted


def _checked(params: Mapping[str, str]) -> tuple[str, RedirectTarget]:
    """(client id, redirect target) of a well-formed request; WalletProtocolError otherwise."""
    if params.get("response_type") != "code":
        raise WalletProtocolError("response_type must be code")
    client_id = params.get("client_id", "")
    if not client_id or len(client_id) > 300:
        raise InvalidClient("client_id is required (at most 300 characters)")
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri:
        raise WalletProtocolError("redirect_uri is required: no wallet is registered here to default to")
    target = redirect_target(redirect_uri)
    if params.get("code_challenge_method") != "S256" or not _CODE_CHALLENGE.match(params.get("code_challenge", "")):
        raise WalletProtocolError("PKCE is required: code_challenge (S256 of the verifier) with "
                                  "code_challenge_method=S256")
    requested_configurations(params)
    return client_id, target


def authorization_request(session: Session, params: Mapping[str, str]) -> WalletAuthorization:
    """The consent page's view of a wallet's request; WalletProtocolError (shown on the page) when it is not one
    this service can ask the earner about."""
    client_id, target = _checked(params)
    with read(session):
        offer = _open_offer(session, params, now_utc())
        credential = session.get_one(Credential, offer.credential_id)
        return WalletAuthorization(params={k: params[k] for k in PARAMS if params.get(k)}, client_id=client_id,
                                   redirect_uri=params["redirect_uri"], redirect=target,
                                   credential_name=_credential_name(credential), expires_at=offer.expires_at)


def _back_to_wallet(services: Services, params: Mapping[str, str], answer: dict[str, str]) -> str:
    """The redirect URI with the answer (and the request's ``state``, and ``iss``: RFC 9207) in its query (a
    redirect URI has no fragment: :func:`redirect_target`)."""
    state = {"state": params["state"]} if params.get("state") else {}
    return with_query(params["redirect_uri"], {**answer, **state, "iss": services.public_base_url})


def approve(session: Session, services: Services, params: Mapping[str, str], api_key: str) -> str:
    """The earner approved: the URL to send their browser to, with a one-time code. ``Unauthenticated`` for a
    key that is not valid, ``AccessDenied`` for someone else's key; WalletProtocolError as
    :func:`authorization_request`."""
    client_id, target = _checked(params)
    now = now_utc()
    code = AUTHORIZATION_CODE_PREFIX + secrets.token_urlsafe(32)
    with transaction(session):
        principal = authenticate(session, api_key.strip())
        offer = _open_offer(session, params, now, lock=True)
        if principal.role is not Role.EDUCATOR or principal.person_id != offer.educator_id:
            raise AccessDenied("only the educator who made this offer can approve it: sign in with your own key")
        offer.authorization_code_hash = digest(code)
        offer.code_challenge = params["code_challenge"]
        offer.client_id = client_id
        offer.redirect_uri = params["redirect_uri"]
        offer.authorization_code_expires_at = min(now + CODE_TTL, offer.expires_at)
        offer.credential_identifiers = requested_configurations(params)
        credential = session.get_one(Credential, offer.credential_id)
        audit(session, issuer_id=credential.issuer_id, actor_id=principal.person_id,
              action="credential.wallet_authorized", target=f"credential:{credential.id}", offer=str(offer.id),
              client_id=client_id, redirect=target.shown)
    return _back_to_wallet(services, params, {"code": code})


def deny(session: Session, services: Services, params: Mapping[str, str]) -> str:
    """The earner said no: back to the wallet with ``access_denied`` (the offer stays usable until it expires).
    Only for a request of an open offer: otherwise this would send anyone's browser anywhere (an open redirect)."""
    client_id, target = _checked(params)
    with transaction(session):
        offer = _open_offer(session, params, now_utc())
        credential = session.get_one(Credential, offer.credential_id)
        # Who denied is not known (no key is asked to say no): the record is of the offer's educator's credential.
        audit(session, issuer_id=credential.issuer_id, actor_id=None, action="credential.wallet_denied",
              target=f"credential:{credential.id}", offer=str(offer.id), client_id=client_id, redirect=target.shown)
    return _back_to_wallet(services, params, {"error": "access_denied",
                                              "error_description": "the earner did not approve"})


def redeem_authorization_code(session: Session, form: Mapping[str, str]) -> dict[str, Any]:
    """The token response for a wallet's authorization code (RFC 6749 §4.1.3, RFC 7636 §4.6), or
    :class:`InvalidGrant`: the same client id and redirect URI as the request, the PKCE verifier of its challenge,
    once, before it expires. A code presented twice also ends the access token it gave (RFC 6749 §4.1.2)."""
    code, verifier = form.get("code", ""), form.get("code_verifier", "")
    if not verifier:
        raise WalletProtocolError("code_verifier is required (PKCE)")
    if not _CODE_VERIFIER.match(verifier):
        raise WalletProtocolError("code_verifier is not a PKCE verifier (43 to 128 unreserved characters)")
    now = now_utc()
    refusal: WalletProtocolError | None = None
    token = ""
    identifiers: list[Any] | None = None
    with transaction(session):
        offer = session.scalars(select(WalletOffer).where(WalletOffer.authorization_code_hash == digest(code))
                                .with_for_update()).first()
        if offer is None:
            refusal = InvalidGrant("the authorization code is not known")
        elif offer.redeemed_at is not None:
            # Replayed. Once a code was issued the pre-authorized grant is refused (wallet.service), so the token
            # this offer gave came from this code: whoever holds it now, it stops (RFC 6749 §4.1.2).
            offer.access_expires_at = min(offer.access_expires_at or now, now)
            refusal = InvalidGrant("the authorization code was already used")
        elif offer.authorization_code_expires_at is None or offer.authorization_code_expires_at <= now:
            refusal = InvalidGrant("the authorization code has expired: ask the earner again")
        elif form.get("client_id") != offer.client_id:
            refusal = InvalidGrant("the code was issued to another client_id")
        elif form.get("redirect_uri") != offer.redirect_uri:
            refusal = InvalidGrant("redirect_uri is not the one the code was issued for")
        elif not secrets.compare_digest(create_s256_code_challenge(verifier), offer.code_challenge or ""):
            refusal = InvalidGrant("the code_verifier does not match the code_challenge")
        else:
            token = redeem(offer, now)
            identifiers = offer.credential_identifiers
    if refusal is not None:
        raise refusal
    answer = token_response(token)
    if identifiers:
        # Asked for by authorization_details: each configuration is its own credential identifier (§6.2), which
        # the credential request then names instead of the configuration (§8.2).
        answer["authorization_details"] = [{"type": "openid_credential", "credential_configuration_id": c,
                                            "credential_identifiers": [c]} for c in identifiers]
    return answer
