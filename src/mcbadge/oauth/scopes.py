"""Every OAuth 2.0 scope this service knows, in one place: the 1EdTech OB 3.0 scopes and mcbadge's own.

Routes name the scopes they need with :func:`mcbadge.oauth.require_scopes`. Dynamically registered clients
(RFC 7591) may ask only for :data:`OB_SCOPES`; the ``mcbadge:`` scopes go to client-credentials clients an
issuer admin creates (``POST /api/v1/oauth-clients``).
"""

from __future__ import annotations

__all__ = [
    "ADMIN_CLIENT_SCOPES",
    "OB_CREDENTIAL_READONLY",
    "OB_CREDENTIAL_UPSERT",
    "OB_PROFILE_READONLY",
    "OB_PROFILE_UPDATE",
    "OB_SCOPES",
    "SCOPES",
    "VC_ISSUE",
    "VC_SCOPES",
    "VC_STATUS",
    "VC_VERIFY",
]

_OB = "https://purl.imsglobal.org/spec/ob/v3p0/scope/"
OB_CREDENTIAL_READONLY = _OB + "credential.readonly"
OB_CREDENTIAL_UPSERT = _OB + "credential.upsert"
OB_PROFILE_READONLY = _OB + "profile.readonly"
OB_PROFILE_UPDATE = _OB + "profile.update"

VC_ISSUE = "mcbadge:vc.issue"
VC_VERIFY = "mcbadge:vc.verify"
VC_STATUS = "mcbadge:vc.status"

SCOPES: dict[str, str] = {
    # The OB descriptions are the 1EdTech OpenAPI file's; the consent page shows them to the educator.
    OB_CREDENTIAL_READONLY: "Permission to read AchievementCredentials for the authenticated entity.",
    OB_CREDENTIAL_UPSERT: "Permission to create or update AchievementCredentials for the authenticated entity.",
    OB_PROFILE_READONLY: "Permission to read the profile for the authenticated entity.",
    OB_PROFILE_UPDATE: "Permission to update the profile for the authenticated entity.",
    VC_ISSUE: "Issue credentials for the client's issuer through the W3C VC API (POST /credentials/issue).",
    VC_VERIFY: "Verify credentials and presentations through the W3C VC API.",
    VC_STATUS: "Change the status of the issuer's credentials and manage its status lists (W3C VC API).",
}
"""Scope -> a sentence a person can read."""

OB_SCOPES: tuple[str, ...] = (OB_CREDENTIAL_READONLY, OB_CREDENTIAL_UPSERT, OB_PROFILE_READONLY, OB_PROFILE_UPDATE)
VC_SCOPES: tuple[str, ...] = (VC_ISSUE, VC_VERIFY, VC_STATUS)
ADMIN_CLIENT_SCOPES: tuple[str, ...] = (*VC_SCOPES, *OB_SCOPES)
"""What an admin-created client-credentials client may be given."""
