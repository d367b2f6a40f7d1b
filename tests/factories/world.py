"""A did:web issuer, its status list and a verifier's view of the network, all in memory: what the library's
verification tests sign with and verify against."""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any

from mcbadge.vc.data_integrity import sign_credential
from mcbadge.vc.dids import DidResolver, did_web_document, did_web_to_url
from mcbadge.vc.keys import Ed25519KeyPair
from mcbadge.vc.status_list import BitstringStatusList, status_list_credential
from mcbadge.vc.verify import verify
from tests.factories.credentials import rich_credential

ISSUER = "did:web:district.example"


BASE = "https://district.example"


STATUS_URL = f"{BASE}/status/1"


def now() -> datetime:
    # The clock at the moment of use: the whole suite runs for minutes, and signatures are made "now".
    return datetime.now(timezone.utc)


class World:
    """An issuer with a did:web identity, its status list, and a verifier's view of the network."""

    def __init__(self) -> None:
        self.key = Ed25519KeyPair.generate().bound(ISSUER)
        self.documents: dict[str, Any] = {did_web_to_url(ISSUER): did_web_document(ISSUER, [self.key.public_key])}
        self.status = BitstringStatusList()
        self.publish_status()

    def publish_status(self, signer: Ed25519KeyPair | None = None, issuer: str = ISSUER) -> None:
        unsigned = status_list_credential(
            id=STATUS_URL, issuer=issuer, status_purpose="revocation", encoded_list=self.status.encode()
        )
        self.documents[STATUS_URL] = sign_credential(unsigned, signer or self.key)

    def credential(self, **overrides: Any) -> dict[str, Any]:
        return sign_credential(rich_credential(issuer_id=ISSUER, base_url=BASE, **overrides), self.key)

    def fetch(self, url: str) -> Any:
        try:
            return copy.deepcopy(self.documents[url])
        except KeyError:
            raise ConnectionError(f"cannot reach {url}") from None

    def verify(self, credential: Any, **kwargs: Any):
        kwargs.setdefault("now", now())
        return verify(credential, resolver=DidResolver(fetch_json=self.fetch), status_fetcher=self.fetch, **kwargs)
