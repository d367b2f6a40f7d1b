"""Micro-credentials: the request body of the catalog API and published or draft rows made from it."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from sqlalchemy.orm import Session

from mcbadge.db.models import Issuer, MicroCredential, MicroCredentialStatus, utcnow

LEVELS = [
    {"key": "not-yet", "name": "Not yet", "description": "The evidence does not yet show the practice."},
    {"key": "developing", "name": "Developing"},
    {"key": "proficient", "name": "Proficient", "description": "Consistent and effective."},
    {"key": "exemplary", "name": "Exemplary"},
]
"""Rubric levels, lowest first."""

MICROCREDENTIAL: dict[str, Any] = {
    "key": "checking-for-understanding",
    "title": "Checking for Understanding",
    "competency": "Checks what every student understands during a lesson and adjusts instruction.",
    "key_method": "Hinge questions, a response from every student, re-teach or move on.",
    "research": "Black & Wiliam (1998).",
    "resources": [{"title": "Hinge questions", "url": "https://example.org/hinge"}],
    "requirements": [
        {"key": "lesson-plan", "title": "A lesson plan", "kind": "file", "required": True},
        {"key": "link", "title": "A link to a class website", "kind": "url", "required": False},
        {"key": "reflection", "title": "A reflection of 5-50 words", "kind": "reflection",
         "min_words": 5, "max_words": 50, "required": True},
    ],
    "rubric": {
        "levels": LEVELS,
        "criteria": [
            {"key": "varied-checks", "name": "Uses varied checks", "required_level": "proficient"},
            {"key": "reflection", "name": "Reflects on evidence", "required_level": "developing"},
        ],
    },
    "alignments": [{"target_name": "InTASC 6", "target_url": "https://example.org/intasc-6"}],
    "tags": ["formative assessment"],
    "pd_hours": 10.0,
}
"""A complete micro-credential body (POST /api/v1/microcredentials), also used for published rows."""

PASSING = {"varied-checks": "proficient", "reflection": "developing"}
FAILING = {"varied-checks": "developing", "reflection": "proficient"}
FAILING_FEEDBACK = {"varied-checks": "Show a check that reaches every student."}
"""Scores on :data:`MICROCREDENTIAL`'s rubric that pass and that do not, and feedback for the failing ones."""


def microcredential_body(**overrides: Any) -> dict[str, Any]:
    """A deep copy of :data:`MICROCREDENTIAL` with ``overrides``."""
    return copy.deepcopy(MICROCREDENTIAL) | overrides


def published_microcredential(session: Session, issuer: Issuer, *, version: int = 1,
                              **overrides: Any) -> MicroCredential:
    """A published version of :data:`MICROCREDENTIAL` with ``overrides``."""
    mc = MicroCredential(issuer_id=issuer.id, version=version, status=MicroCredentialStatus.PUBLISHED,
                         published_at=utcnow(), **microcredential_body(**overrides))
    session.add(mc)
    session.flush()
    return mc


def draft_microcredential(session: Session, issuer: Issuer, **overrides: Any) -> MicroCredential:
    """A draft version 1 with a fresh key."""
    overrides.setdefault("key", f"draft-{uuid.uuid4().hex[:10]}")
    mc = MicroCredential(issuer_id=issuer.id, version=1, status=MicroCredentialStatus.DRAFT,
                         **microcredential_body(**overrides))
    session.add(mc)
    session.flush()
    return mc
