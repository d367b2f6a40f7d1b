"""The demo catalogue that ``make run`` starts with: one school district, two micro-credentials from the
educator world (four-level rubrics, evidence requirements), an educator, an assessor and an admin.

Seeding happens once, into an empty database; the API keys are printed that one time (only their hashes
are stored), so a developer can start calling the API at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from .db.models import (
    AssessorTraining,
    Issuer,
    MicroCredential,
    MicroCredentialStatus,
    Person,
    Role,
)
from .db.session import transaction
from .principal import issue_api_key

LEVELS = [
    {"key": "not-yet", "name": "Not yet", "description": "The evidence does not yet show the practice."},
    {"key": "developing", "name": "Developing", "description": "The practice appears, inconsistently."},
    {"key": "proficient", "name": "Proficient", "description": "The practice is consistent and effective."},
    {"key": "exemplary", "name": "Exemplary", "description": "The practice is consistent, effective and adapted to each learner."},
]

CHECKING_FOR_UNDERSTANDING = {
    "key": "checking-for-understanding",
    "title": "Checking for Understanding",
    "competency": "The educator checks what every student understands during a lesson and adjusts instruction in the moment.",
    "key_method": "Plan hinge questions at key points of a lesson, collect a response from every student "
                  "(mini-whiteboards, exit tickets, hand signals), and re-teach or move on based on what the responses show.",
    "research": "Black & Wiliam (1998), Inside the Black Box; Wiliam (2011), Embedded Formative Assessment.",
    "resources": [{"title": "Hinge questions: a short guide", "url": "https://example.org/resources/hinge-questions"}],
    "requirements": [
        {"key": "lesson-plan", "title": "A lesson plan", "description": "The plan, with the planned checks marked.", "kind": "file", "required": True},
        {"key": "video", "title": "A 10-minute classroom video", "description": "An excerpt showing at least two checks and what you did next.", "kind": "file", "required": True},
        {"key": "reflection", "title": "A reflection of 300-500 words", "description": "What the checks showed, and how you adjusted.", "kind": "reflection", "min_words": 300, "max_words": 500, "required": True},
    ],
    "rubric": {
        "levels": LEVELS,
        "criteria": [
            {"key": "varied-checks", "name": "Uses varied checks that reach every student", "required_level": "proficient"},
            {"key": "adjusts", "name": "Adjusts instruction to the evidence collected", "required_level": "proficient"},
            {"key": "reflection", "name": "Reflects on student evidence to plan next steps", "required_level": "developing"},
        ],
    },
    "alignments": [{"target_name": "InTASC Standard 6: Assessment", "target_url": "https://example.org/standards/intasc-6", "target_framework": "InTASC"}],
    "tags": ["formative assessment", "instruction"],
    "pd_hours": 10.0,
}

ACCOUNTABLE_TALK = {
    "key": "accountable-talk",
    "title": "Academic Discourse: Accountable Talk",
    "competency": "The educator structures classroom discussion so that students build on each other's reasoning with evidence.",
    "key_method": "Teach and use talk moves (revoice, press for reasoning, add on, agree/disagree with reasons) "
                  "and norms that hold students accountable to the community, to knowledge and to rigorous thinking.",
    "research": "Michaels, O'Connor & Resnick (2008), Deliberative discourse idealized and realized.",
    "resources": [{"title": "Talk moves cards", "url": "https://example.org/resources/talk-moves"}],
    "requirements": [
        {"key": "video", "title": "A 10-minute discussion video", "description": "Students discussing a rich question.", "kind": "file", "required": True},
        {"key": "student-work", "title": "Student work samples", "description": "Three samples showing reasoning that grew in the discussion.", "kind": "file", "required": True},
        {"key": "reflection", "title": "A reflection of 300-500 words", "kind": "reflection", "description": "Which talk moves worked, for whom, and why.", "min_words": 300, "max_words": 500, "required": True},
    ],
    "rubric": {
        "levels": LEVELS,
        "criteria": [
            {"key": "talk-moves", "name": "Uses talk moves to deepen reasoning", "required_level": "proficient"},
            {"key": "norms", "name": "Establishes norms for respectful, evidence-based talk", "required_level": "proficient"},
            {"key": "participation", "name": "Broadens participation beyond a few voices", "required_level": "proficient"},
            {"key": "reflection", "name": "Reflects on discourse data to plan next steps", "required_level": "developing"},
        ],
    },
    "alignments": [{"target_name": "Danielson 3b: Using Questioning and Discussion Techniques", "target_url": "https://example.org/standards/danielson-3b", "target_framework": "Danielson Framework"}],
    "tags": ["discourse", "engagement"],
    "pd_hours": 12.0,
}


@dataclass(frozen=True)
class DemoKeys:
    admin: str
    assessor: str
    educator: str


def seed_demo(sessions: sessionmaker[Session], *, slug: str, name: str, base_url: str) -> DemoKeys | None:
    """Seed the demo catalogue into an empty database; None when the issuer already exists."""
    now = datetime.now(timezone.utc)
    with sessions() as session, transaction(session):
        if session.scalar(select(Issuer).where(Issuer.slug == slug)) is not None:
            return None
        issuer = Issuer(slug=slug, name=name, url=base_url, email=f"badges@{slug}.example",
                        description="A demo school district.", auto_approve=False)
        session.add(issuer)
        session.flush()
        for spec in (CHECKING_FOR_UNDERSTANDING, ACCOUNTABLE_TALK):
            session.add(MicroCredential(issuer_id=issuer.id, version=1, status=MicroCredentialStatus.PUBLISHED,
                                        published_at=now, **spec))
        admin = Person(issuer_id=issuer.id, role=Role.ADMIN, name="Dana Admin", email="admin@demo.example")
        assessor = Person(issuer_id=issuer.id, role=Role.ASSESSOR, name="Avery Assessor", email="assessor@demo.example")
        educator = Person(issuer_id=issuer.id, role=Role.EDUCATOR, name="Eli Educator", email="teacher@demo.example",
                          license_number="DEMO-123456")
        session.add_all([admin, assessor, educator])
        session.flush()
        for spec in (CHECKING_FOR_UNDERSTANDING, ACCOUNTABLE_TALK):
            session.add(AssessorTraining(issuer_id=issuer.id, assessor_id=assessor.id, microcredential_key=spec["key"]))
        return DemoKeys(
            admin=issue_api_key(session, issuer_id=issuer.id, person_id=admin.id, name="demo admin"),
            assessor=issue_api_key(session, issuer_id=issuer.id, person_id=assessor.id, name="demo assessor"),
            educator=issue_api_key(session, issuer_id=issuer.id, person_id=educator.id, name="demo educator"),
        )
