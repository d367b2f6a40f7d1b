"""The OB 3.0 Service Description Document (``GET /ims/ob/v3p0/discovery``).

OB 3.0 asks for "a profiled version of the OpenAPI 3.0 file provided with this specification": the
1EdTech OpenAPI file (vendored in ``schemas/ob-v3p0/openapi.json``) with this service's server URL, its
``info`` (terms, privacy policy, image) and its OAuth 2.0 security scheme: the registration, authorization,
token and refresh URLs, the scopes, and the ``x-imssf-*`` extensions.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from typing import Any

from ..config import Settings
from ..oauth.scopes import OB_SCOPES, SCOPES
from ..vc.schema import schema_dir

__all__ = ["service_description"]

API_PATH = "/ims/ob/v3p0"


@lru_cache(maxsize=1)
def _spec() -> dict[str, Any]:
    return json.loads((schema_dir() / "openapi.json").read_text(encoding="utf-8"))


def service_description(settings: Settings) -> dict[str, Any]:
    """The discovery document for the service at ``settings.public_base_url``."""
    base = settings.public_base_url.rstrip("/")
    doc = copy.deepcopy(_spec())
    # Terms and privacy policy: the service's home until settings name real pages (see the report).
    terms = f"{base}/"
    privacy = f"{base}/"
    doc["info"] = {
        **doc["info"],
        "title": f"{settings.issuer_name}: Open Badges 3.0 API (mcbadge)",
        "description": "Open Badges 3.0 credentials of educators' micro-credentials: read them, store "
                       "credentials issued elsewhere, and read or update the earner's profile.",
        "termsOfService": terms,
        "x-imssf-privacyPolicyUrl": privacy,
        "version": "3.0",
    }
    doc["servers"] = [{"url": base + API_PATH, "description": "This service's Open Badges 3.0 API."}]
    components = doc.setdefault("components", {})
    components["securitySchemes"] = {
        "OAuth2ACG": {
            "type": "oauth2",
            "description": "OAuth 2.0 Authorization Code Grant with PKCE (S256) and rotating refresh tokens.",
            "x-imssf-name": settings.issuer_name,
            "x-imssf-privacyPolicyUrl": privacy,
            "x-imssf-registrationUrl": f"{base}/oauth/register",
            "flows": {
                "authorizationCode": {
                    "authorizationUrl": f"{base}/oauth/authorize",
                    "tokenUrl": f"{base}/oauth/token",
                    "refreshUrl": f"{base}/oauth/token",
                    "scopes": {scope: SCOPES[scope] for scope in OB_SCOPES},
                },
            },
        },
    }
    return doc
