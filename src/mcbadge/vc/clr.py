"""Comprehensive Learner Record 2.0: a ``ClrCredential`` bundling one learner's achievement credentials.

:func:`clr_document` makes the unsigned CLR: a VC 2.0 credential with the CLR 2.0.1 and OB 3.0.3 contexts,
types ``VerifiableCredential`` and ``ClrCredential``, a ``name``, and a ``ClrSubject`` naming the learner by
an ``IdentityObject`` (as awards do) whose ``verifiableCredential`` holds each credential exactly as it was
issued, proof included: each stays verifiable on its own, and the CLR's own proof covers them all (the CLR
context maps them as nodes of the CLR's graph, their proofs as named graphs, as in any VC).

:func:`embedded_credentials` reads them back for a verifier, which checks the CLR and then each one in its
own right (signature, issuer key, validity, status): a CLR signed yesterday proves what its issuer vouched
for then, and a credential in it revoked since is reported as revoked.

No ``credentialSchema`` is named: the 1EdTech CLR 2.0 JSON Schema is not available to this project to
validate against (docs/ARCHITECTURE.md), and a schema a CLR names is one verifiers will hold it to.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from .contexts import CREDENTIALS_V2, OB_CONTEXT
from .json_values import as_list

__all__ = ["CLR_CONTEXT", "CLR_TYPE", "MAX_CLR_CREDENTIALS", "clr_document", "embedded_credentials", "is_clr"]

CLR_CONTEXT = "https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json"
CLR_TYPE = "ClrCredential"
MAX_CLR_CREDENTIALS = 100
"""Credentials one CLR holds at most (a license cycle's worth many times over), so that verifying one is bounded."""


def _timestamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def clr_document(*, clr_id: str, issuer: Mapping[str, Any], name: str, valid_from: datetime,
                 identifier: Sequence[Mapping[str, Any]], credentials: Sequence[Mapping[str, Any]],
                 description: str | None = None) -> dict[str, Any]:
    """The unsigned ``ClrCredential`` of ``credentials`` (signed documents, embedded unchanged) for the learner
    ``identifier`` names, issued by ``issuer`` (an OB ``Profile`` object)."""
    if not credentials:
        raise ValueError("a CLR holds at least one credential")
    if len(credentials) > MAX_CLR_CREDENTIALS:
        raise ValueError(f"a CLR holds at most {MAX_CLR_CREDENTIALS} credentials")
    document: dict[str, Any] = {
        "@context": [CREDENTIALS_V2, CLR_CONTEXT, OB_CONTEXT],
        "id": clr_id,
        "type": ["VerifiableCredential", CLR_TYPE],
        "issuer": dict(issuer),
        "name": name,
    }
    if description:
        document["description"] = description
    document["validFrom"] = _timestamp(valid_from)
    document["credentialSubject"] = {
        "type": ["ClrSubject"],
        "identifier": [dict(i) for i in identifier],
        "verifiableCredential": [dict(c) for c in credentials],
    }
    return document


def is_clr(document: Any) -> bool:
    return isinstance(document, Mapping) and CLR_TYPE in as_list(document.get("type"))


def embedded_credentials(document: Mapping[str, Any]) -> list[Any]:
    """The credentials a CLR's subject holds (``credentialSubject.verifiableCredential``), as given."""
    subjects = as_list(document.get("credentialSubject"))
    found: list[Any] = []
    for subject in subjects:
        if isinstance(subject, Mapping):
            found.extend(as_list(subject.get("verifiableCredential")))
    return found
