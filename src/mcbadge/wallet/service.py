"""Wallet delivery by OpenID for Verifiable Credential Issuance 1.0: the pre-authorized code flow here, the
authorization code flow in ``wallet.authorization`` (an offer carries both grants; the wallet picks one).

The earner of a credential makes an offer (:func:`create_offer`): a credential offer naming this service as
the credential issuer, a pre-authorized code (256 random bits) and a six-digit transaction code shown to the
earner beside the QR code, for them to type into the wallet. The wallet then

1. reads the credential issuer metadata (:func:`issuer_metadata`) and the OAuth server metadata;
2. exchanges the code and the transaction code for an access token at ``/oauth/token``
   (:func:`redeem_pre_authorized_code`): once only, before the offer expires, and an offer on which the
   transaction code was typed wrong ``MAX_TX_CODE_FAILURES`` times is spent;
3. asks the nonce endpoint for a ``c_nonce`` (:func:`new_nonce`; one use, short-lived);
4. asks the credential endpoint for the credential (:func:`deliver`) with a JWT key proof over that nonce.

Holder binding (the design choice): the credential delivered is the award as issued, with its subject bound
to the wallet's key: ``credentialSubject.id`` is set to the ``did:key`` of the key the proof was signed with,
and the credential is signed again by the issuer's current key (Data Integrity for ``ldp_vc``, VC-JWT with
``sub`` for ``jwt_vc_json``). OB 3.0 allows a subject ``id`` beside its ``identifier`` (the hashed e-mail
stays), so the wallet copy is a valid OB 3.0 credential a verifier can ask the holder to prove control of.
It is the same award, not a new one: the same ``id``, dates, achievement and ``credentialStatus`` entry, so
revoking the award revokes every wallet copy, and nothing new is stored (the offer row records the holder).

Errors are OAuth-style (``error``, ``error_description``: RFC 6749 §5.2, OID4VCI §8.3.1.2): the classes
below carry their ``error`` code and HTTP status, and ``wallet.routes`` renders them.
"""

from __future__ import annotations

import copy
import hashlib
import json
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..credentials.service import CredentialNotFound, CredentialRevoked, signed_ldp
from ..db.models import Credential, Issuer, Role
from ..db.session import read, transaction
from ..db.wallet_models import WalletNonce, WalletOffer
from ..errors import Conflict, Forbidden, Invalid
from ..features import audit
from ..identity import issuer_did
from ..principal import Principal, authenticate
from ..services import Services
from ..vc.contexts import CREDENTIALS_V2, OB_CONTEXT
from ..vc.jwt import encode_vc_jwt
from ..vc.key_proof import PROOF_ALGORITHMS, KeyProofError, verify_key_proof

__all__ = [
    "AUTHORIZATION_CODE_GRANT",
    "CONFIGURATIONS",
    "MAX_TX_CODE_FAILURES",
    "OFFER_SCHEME",
    "PRE_AUTHORIZED_GRANT",
    "WalletProtocolError",
    "create_offer",
    "deliver",
    "issuer_metadata",
    "new_nonce",
    "redeem",
    "redeem_pre_authorized_code",
    "token_response",
]

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
AUTHORIZATION_CODE_GRANT = "authorization_code"
OFFER_SCHEME = "openid-credential-offer://"
OFFER_TTL = timedelta(minutes=10)
"""How long an offer can be redeemed: long enough to open a wallet app and scan, short enough that a QR code
photographed off a screen later is useless."""
ACCESS_TOKEN_TTL = timedelta(minutes=5)
NONCE_TTL = timedelta(minutes=5)
MAX_TX_CODE_FAILURES = 5
"""Wrong transaction codes an offer takes before it is spent (one in 200 000 guesses succeeds, not one in 10)."""
TX_CODE_LENGTH = 6
ACCESS_TOKEN_PREFIX = "mcbwt_"
"""Wallet access tokens read ``mcbwt_<random>``: they open the credential endpoint and nothing else (they are
not OAuth tokens of the OB 3.0 API, ``mcbat_``)."""

CONFIGURATIONS: Mapping[str, str] = {
    "OpenBadgeCredential_ldp_vc": "ldp_vc",
    "OpenBadgeCredential_jwt_vc_json": "jwt_vc_json",
}
"""The credential configurations offered, by id: the same award as Data Integrity JSON-LD, or as a VC-JWT."""
_TYPES = ["VerifiableCredential", "OpenBadgeCredential"]


# -- errors (OAuth-style) --------------------------------------------------------------------------------


class WalletProtocolError(Invalid):
    """An OID4VCI/OAuth protocol error: ``error`` is its registered code, ``status`` its HTTP status."""

    code = "wallet-protocol"
    error = "invalid_request"
    status = 400


class InvalidGrant(WalletProtocolError):
    """The pre-authorized code or transaction code is wrong, expired or already used (RFC 6749 §5.2)."""

    error = "invalid_grant"


class InvalidToken(WalletProtocolError):
    """The access token is missing, unknown or expired (RFC 6750 §3.1)."""

    error = "invalid_token"
    status = 401


class InvalidProof(WalletProtocolError):
    error = "invalid_proof"


class InvalidNonce(WalletProtocolError):
    error = "invalid_nonce"


class UnknownConfiguration(WalletProtocolError):
    error = "unknown_credential_configuration"


class InvalidCredentialRequest(WalletProtocolError):
    error = "invalid_credential_request"


class CredentialRequestDenied(WalletProtocolError):
    """The credential cannot be delivered now (revoked, suspended, its issuer disabled)."""

    error = "credential_request_denied"


class NotDeliverable(Conflict):
    """The earner cannot offer this credential to a wallet (revoked, suspended or not signed)."""

    code = "credential-not-deliverable"


# -- helpers -----------------------------------------------------------------------------------------


def digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


# -- metadata ----------------------------------------------------------------------------------------


def issuer_metadata(services: Services) -> dict[str, Any]:
    """Credential issuer metadata (OID4VCI 1.0 §12.2.4). The credential issuer is the service's base URL, which
    is also its OAuth authorization server (so ``authorization_servers`` is left out)."""
    base = services.public_base_url
    binding = {
        "cryptographic_binding_methods_supported": ["did:key"],
        "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": list(PROOF_ALGORITHMS)}},
    }
    display = [{"name": "Open Badge (micro-credential)", "locale": "en",
                "description": "A teacher's micro-credential, an Open Badges 3.0 AchievementCredential"}]
    return {
        "credential_issuer": base,
        "credential_endpoint": f"{base}/oid4vci/credential",
        "nonce_endpoint": f"{base}/oid4vci/nonce",
        "display": [{"name": services.settings.issuer_name, "locale": "en"}],
        "credential_configurations_supported": {
            "OpenBadgeCredential_ldp_vc": {
                "format": "ldp_vc",
                "credential_signing_alg_values_supported": ["eddsa-rdfc-2022"],
                **binding,
                "credential_definition": {"@context": [CREDENTIALS_V2, OB_CONTEXT], "type": _TYPES},
                "credential_metadata": {"display": display},
            },
            "OpenBadgeCredential_jwt_vc_json": {
                "format": "jwt_vc_json",
                "credential_signing_alg_values_supported": ["EdDSA"],
                **binding,
                "credential_definition": {"type": _TYPES},
                "credential_metadata": {"display": display},
            },
        },
    }


# -- offers ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """An offer as its earner sees it once: the link (and QR code) for the wallet, and the transaction code."""

    id: uuid.UUID
    credential_id: uuid.UUID
    credential_offer: dict[str, Any]
    link: str
    tx_code: str
    expires_at: datetime


def _deliverable(credential: Credential) -> str | None:
    """Why ``credential`` cannot go to a wallet now, or None."""
    if credential.revoked_at is not None:
        return "the credential is revoked"
    if credential.suspended:
        return "the credential is suspended"
    if credential.document is None:
        return "the credential is not signed"
    return None


def create_offer(session: Session, services: Services, principal: Principal, credential_id: uuid.UUID) -> Offer:
    """A new offer of one of the caller's own credentials (educators: their own; others' are "not found")."""
    now = now_utc()
    code = secrets.token_urlsafe(32)
    issuer_state = secrets.token_urlsafe(32)
    tx_code = "".join(secrets.choice("0123456789") for _ in range(TX_CODE_LENGTH))
    with transaction(session):
        credential = session.scalars(select(Credential).where(
            Credential.id == credential_id, Credential.issuer_id == principal.issuer_id,
            Credential.educator_id == principal.person_id)).first()
        if credential is None:
            raise CredentialNotFound(f"no credential {credential_id} of yours")
        reason = _deliverable(credential)
        if reason is not None:
            raise (CredentialRevoked if credential.revoked_at else NotDeliverable)(
                f"{reason}: it cannot be offered to a wallet")
        offer = WalletOffer(credential_id=credential.id, educator_id=principal.person_id, code_hash=digest(code),
                            tx_code_hash=digest(code, tx_code), tx_code_failures=0, created_at=now,
                            expires_at=now + OFFER_TTL, issuer_state_hash=digest(issuer_state))
        session.add(offer)
        session.flush()
        audit(session, issuer_id=principal.issuer_id, actor_id=principal.person_id, action="credential.wallet_offer",
              target=f"credential:{credential.id}", offer=str(offer.id), expires_at=offer.expires_at.isoformat())
    credential_offer = {
        "credential_issuer": services.public_base_url,
        "credential_configuration_ids": list(CONFIGURATIONS),
        "grants": {
            PRE_AUTHORIZED_GRANT: {
                "pre-authorized_code": code,
                "tx_code": {"input_mode": "numeric", "length": TX_CODE_LENGTH,
                            "description": "The code shown beside the QR code on your credential's page"},
            },
            # Or the wallet sends the earner to this service to approve it (wallet.authorization).
            AUTHORIZATION_CODE_GRANT: {"issuer_state": issuer_state},
        },
    }
    # By value: nothing to fetch, and the QR code stays small enough (a few hundred characters).
    link = OFFER_SCHEME + "?credential_offer=" + quote(json.dumps(credential_offer, separators=(",", ":")), safe="")
    return Offer(id=offer.id, credential_id=credential.id, credential_offer=credential_offer, link=link,
                 tx_code=tx_code, expires_at=offer.expires_at)


def offer_with_api_key(session: Session, services: Services, api_key: str, credential_id: uuid.UUID) -> Offer:
    """The page's offer: the earner signs in with their API key (mcbadge has no passwords), as on the OAuth
    consent page; only an educator offers, and only their own credentials."""
    with read(session):
        principal = authenticate(session, api_key.strip())
    if principal.role is not Role.EDUCATOR:
        raise Forbidden("only the educator who earned a credential can send it to a wallet")
    return create_offer(session, services, principal, credential_id)


# -- token endpoint ----------------------------------------------------------------------------------


def redeem_pre_authorized_code(session: Session, services: Services, form: Mapping[str, str]) -> dict[str, Any]:
    """The token response for the pre-authorized code grant (OID4VCI 1.0 §6.1), or :class:`InvalidGrant`.

    The offer row is locked while it is judged, so two wallets racing with one code get one token. A wrong
    transaction code is counted (committed, then refused)."""
    code, tx_code = form.get("pre-authorized_code"), form.get("tx_code")
    if not code:
        raise WalletProtocolError("pre-authorized_code is required")
    now = now_utc()
    refusal: WalletProtocolError | None = None
    token = ""
    with transaction(session):
        offer = session.scalars(select(WalletOffer).where(WalletOffer.code_hash == digest(code))
                                .with_for_update()).first()
        if offer is None:
            refusal = InvalidGrant("the pre-authorized code is not known")
        elif offer.authorization_code_hash is not None:
            # The earner approved a wallet's request for this offer (wallet.authorization): that wallet's code is
            # what redeems it now, and nothing else may take the credential from under it.
            refusal = InvalidGrant("the earner approved a wallet's request for this offer: it is redeemed by that "
                                   "wallet's authorization code")
        elif offer.redeemed_at is not None and offer.tx_code_failures >= MAX_TX_CODE_FAILURES:
            refusal = InvalidGrant("the transaction code was typed wrong too often: make a new offer")
        elif offer.redeemed_at is not None:
            refusal = InvalidGrant("the pre-authorized code was already used: an offer is redeemed once")
        elif offer.expires_at <= now:
            refusal = InvalidGrant("the offer has expired: make a new one on the credential's page")
        elif not tx_code or not secrets.compare_digest(offer.tx_code_hash, digest(code, tx_code)):
            offer.tx_code_failures += 1
            if offer.tx_code_failures >= MAX_TX_CODE_FAILURES:
                offer.redeemed_at = now  # spent: guessing stops here
            refusal = InvalidGrant("the transaction code is wrong" if tx_code else "the transaction code (tx_code) is required")
        else:
            token = redeem(offer, now)
    if refusal is not None:
        raise refusal
    return token_response(token)


def redeem(offer: WalletOffer, now: datetime) -> str:
    """Spend ``offer`` (by either of its grants) for a new access token to the credential endpoint."""
    token = ACCESS_TOKEN_PREFIX + secrets.token_urlsafe(32)
    offer.redeemed_at = now
    offer.access_token_hash = digest(token)
    offer.access_expires_at = now + ACCESS_TOKEN_TTL
    return token


def token_response(token: str) -> dict[str, Any]:
    return {"access_token": token, "token_type": "Bearer", "expires_in": int(ACCESS_TOKEN_TTL.total_seconds())}


# -- nonce endpoint ----------------------------------------------------------------------------------


def new_nonce(session: Session) -> str:
    """A fresh ``c_nonce`` (OID4VCI 1.0 §7), stored until used or expired; expired ones are swept here, so the
    table holds at most what ``NONCE_TTL`` of requests made."""
    nonce = secrets.token_urlsafe(32)
    now = now_utc()
    with transaction(session):
        session.execute(delete(WalletNonce).where(WalletNonce.expires_at <= now))
        session.add(WalletNonce(nonce_hash=digest(nonce), expires_at=now + NONCE_TTL))
    return nonce


# -- credential endpoint -----------------------------------------------------------------------------


def _single_proof(body: Mapping[str, Any]) -> str:
    """The one JWT key proof of a credential request (``proofs.jwt[0]`` in 1.0; ``proof`` of earlier drafts)."""
    if "proofs" in body and "proof" in body:
        raise InvalidCredentialRequest("give proofs or proof, not both")
    if "proofs" in body:
        proofs = body["proofs"]
        jwts = proofs.get("jwt") if isinstance(proofs, dict) and set(proofs) == {"jwt"} else None
        if not isinstance(jwts, list) or len(jwts) != 1 or not isinstance(jwts[0], str):
            raise InvalidProof("proofs must be {\"jwt\": [one JWT key proof]} (one credential per request)")
        return jwts[0]
    proof = body.get("proof")
    if isinstance(proof, dict) and proof.get("proof_type") == "jwt" and isinstance(proof.get("jwt"), str):
        return str(proof["jwt"])
    raise InvalidProof("a JWT key proof is required (proofs.jwt)")


def _bound(document: Mapping[str, Any], holder: str) -> dict[str, Any]:
    """The award's unsigned content with its subject bound to ``holder``."""
    unsigned = {k: copy.deepcopy(v) for k, v in document.items() if k != "proof"}
    subject = unsigned.get("credentialSubject")
    if not isinstance(subject, dict):
        raise CredentialRequestDenied("the credential has no single subject to bind")
    unsigned["credentialSubject"] = {"id": holder, **{k: v for k, v in subject.items() if k != "id"}}
    return unsigned


def deliver(session: Session, services: Services, access_token: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
    """The credential response (OID4VCI 1.0 §8.3): the offered credential bound to the proof's key."""
    now = now_utc()
    if not access_token:
        raise InvalidToken("an access token (Authorization: Bearer) is required")
    # §8.2: a credential_identifier from the token response (authorization_details), or else the configuration.
    by_identifier = "credential_identifier" in body
    if by_identifier and "credential_configuration_id" in body:
        raise InvalidCredentialRequest("name credential_identifier or credential_configuration_id, not both")
    named = "credential_identifier" if by_identifier else "credential_configuration_id"
    configuration = body.get(named)  # each identifier granted here is its configuration's id
    if not isinstance(configuration, str) or configuration not in CONFIGURATIONS:
        raise (InvalidCredentialRequest if by_identifier else UnknownConfiguration)(
            f"unknown {named} {configuration!r}; offered: {', '.join(CONFIGURATIONS)}")
    proof_jwt = _single_proof(body)
    with transaction(session):
        offer = session.scalars(select(WalletOffer).where(WalletOffer.access_token_hash == digest(access_token))
                                .with_for_update()).first()
        if offer is None or offer.access_expires_at is None or offer.access_expires_at <= now:
            raise InvalidToken("the access token is not valid (unknown or expired)")
        granted = offer.credential_identifiers
        if granted and (not by_identifier or configuration not in granted):
            raise InvalidCredentialRequest("this access token was granted for credential_identifiers "
                                           f"{', '.join(map(str, granted))}: name one of them as credential_identifier")
        if not granted and by_identifier:
            raise InvalidCredentialRequest("credential_identifier is used only when the token response gave "
                                           "credential_identifiers: name credential_configuration_id")
        try:
            proof = verify_key_proof(proof_jwt, audience=services.public_base_url, now=now)
        except KeyProofError as exc:
            raise InvalidProof(str(exc)) from None
        used = session.execute(delete(WalletNonce).where(
            WalletNonce.nonce_hash == digest(proof.nonce), WalletNonce.expires_at > now))
        if used.rowcount != 1:  # type: ignore[attr-defined]
            raise InvalidNonce("the proof's nonce is not one this issuer handed out, or it was used or expired")
        credential = session.get(Credential, offer.credential_id)
        if credential is None:
            raise CredentialRequestDenied("the credential no longer exists")
        issuer = session.get_one(Issuer, credential.issuer_id)
        reason = "its issuer is disabled" if issuer.disabled_at is not None else _deliverable(credential)
        if reason is not None:
            raise CredentialRequestDenied(f"the credential cannot be delivered: {reason}")
        assert credential.document is not None  # _deliverable
        unsigned = _bound(credential.document, proof.holder)
        signer = services.keystore.load_or_create(issuer.slug, issuer_did(services.public_base_url, issuer.slug))
        signed_at = now.replace(microsecond=0)
        if CONFIGURATIONS[configuration] == "jwt_vc_json":
            delivered: Any = encode_vc_jwt(unsigned, signer, now=signed_at)
        else:
            delivered = signed_ldp(unsigned, signer, now=signed_at)
        offer.delivered_at = now
        offer.holder = proof.holder
        audit(session, issuer_id=issuer.id, actor_id=offer.educator_id, action="credential.delivered_to_wallet",
              target=f"credential:{credential.id}", offer=str(offer.id), holder=proof.holder,
              configuration=configuration)
    return {"credentials": [{"credential": delivered}]}

