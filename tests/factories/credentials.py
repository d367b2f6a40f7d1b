"""Test data shared by the test suite and benchmarks.

``rich_credential()`` is an UNSIGNED, schema-valid OB 3.0 AchievementCredential of about 4 KB — the
micro-credential "Checking for Understanding" with a four-level rubric (Not yet / Developing / Proficient /
Exemplary) on three criteria, two evidence files bound by digest, a hashed e-mail identity and a
Bitstring Status List entry. It is built through ``mcbadge.vc.models``, so it is also what the service emits.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from mcbadge.credentials import service as credentials
from mcbadge.vc.contexts import CREDENTIALS_V2
from mcbadge.vc.evidence import evidence_entry, split_evidence
from mcbadge.vc.identity_hash import identity_object
from mcbadge.vc.models import (
    Achievement,
    AchievementCredential,
    AchievementSubject,
    Alignment,
    BitstringStatusListEntry,
    Criteria,
    Image,
    Profile,
    Result,
    ResultDescription,
    RubricCriterionLevel,
)
from tests.factories.tenants import Tenant, passing_submissions
from tests.live_server import LiveServer

LEVELS: tuple[tuple[str, str], ...] = (
    ("0", "Not yet"),
    ("1", "Developing"),
    ("2", "Proficient"),
    ("3", "Exemplary"),
)
"""Rubric levels, lowest first: (id suffix, name). Points are the position (0-3); Proficient is required."""

CRITERIA: tuple[tuple[str, str, str], ...] = (
    ("varied", "Uses varied checks for understanding", "3"),
    ("adjusts", "Adjusts instruction to student evidence", "2"),
    ("all", "Gathers evidence from every student", "2"),
)
"""Rubric criteria: (id suffix, name, level achieved in the rich credential)."""

EVIDENCE_FILES: dict[str, bytes] = {
    "lesson-video": b"\x00\x00\x00\x18ftypmp42 -- stand-in bytes for a 12-minute lesson video --",
    "reflection": "Exit tickets: 18 of 24 students explained équivalent fractions.\n".encode(),
}
"""The bytes each evidence file is digested from (keyed by evidence id suffix)."""

SUBJECT_EMAIL = "Teacher@Example.org"
SUBJECT_SALT = "mcbadge-test-salt"


def rich_credential(
    issuer_id: str = "did:web:example.org",
    *,
    credential_id: str = "urn:uuid:3f1c7e0a-8d4b-4e59-9a57-2b6f0c1d9e42",
    subject_id: str | None = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
    text_extra: str = "",
    base_url: str = "https://example.org",
    valid_from: datetime = datetime(2025, 3, 14, 15, 9, 26, tzinfo=timezone.utc),
) -> dict[str, Any]:
    """An unsigned rich AchievementCredential as a JSON dict (a fresh object on every call).

    ``text_extra`` is appended to the credential's ``description`` so tests can inject control characters
    or non-ASCII text; ``base_url`` roots the achievement, evidence and status-list URLs.
    """
    achievement_id = f"{base_url}/achievements/cfu"
    descriptions: list[ResultDescription] = []
    results: list[Result] = []
    for key, name, achieved in CRITERIA:
        rd_id = f"{achievement_id}#{key}"
        descriptions.append(
            ResultDescription(
                id=rd_id,
                name=name,
                resultType="RubricCriterionLevel",
                requiredLevel=f"{rd_id}-2",
                rubricCriterionLevel=[
                    RubricCriterionLevel(id=f"{rd_id}-{suffix}", name=level_name, points=str(points))
                    for points, (suffix, level_name) in enumerate(LEVELS)
                ],
            )
        )
        results.append(Result(resultDescription=rd_id, achievedLevel=f"{rd_id}-{achieved}"))

    evidence, related = split_evidence(
        [
            evidence_entry(
                evidence_id=f"{base_url}/evidence/lesson-video",
                data=EVIDENCE_FILES["lesson-video"],
                name="Recorded lesson: fractions on a number line",
                narrative="Twelve-minute excerpt showing hinge questions and mini-whiteboard checks.",
                genre="Video",
                media_type="video/mp4",
            ),
            evidence_entry(
                evidence_id=f"{base_url}/evidence/reflection",
                data=EVIDENCE_FILES["reflection"],
                name="Written reflection",
                description="How the teacher used exit-ticket data to re-group students.",
                genre="Reflection",
                media_type="text/plain",
            ),
        ]
    )

    credential = AchievementCredential(
        id=credential_id,
        name="Checking for Understanding",
        description="Micro-credential awarded for using formative assessment in daily teaching." + text_extra,
        issuer=Profile(
            id=issuer_id,
            name="Example Teacher Academy",
            url=f"{base_url}/",
            email="badges@example.org",
        ),
        validFrom=valid_from,
        credentialSubject=AchievementSubject(
            id=subject_id,
            identifier=[identity_object(SUBJECT_EMAIL, SUBJECT_SALT)],
            achievement=Achievement(
                id=achievement_id,
                name="Checking for Understanding",
                description="The teacher regularly gathers evidence of student learning and adjusts instruction.",
                criteria=Criteria(
                    narrative="Submit a recorded lesson and a reflection; reach Proficient on every criterion."
                ),
                achievementType="MicroCredential",
                image=Image(id=f"{base_url}/images/cfu.png", caption="Checking for Understanding badge"),
                alignment=[
                    Alignment(
                        targetName="InTASC Standard 6: Assessment",
                        targetUrl="https://ccsso.org/resource-library/intasc-model-core-teaching-standards",
                        targetCode="6",
                    )
                ],
                resultDescription=descriptions,
                tag=["formative assessment"],
                fieldOfStudy="Education",
            ),
            result=results,
        ),
        evidence=evidence,
        relatedResource=related,
        credentialStatus=BitstringStatusListEntry(
            id=f"{base_url}/status/1#94567",
            statusPurpose="revocation",
            statusListIndex="94567",
            statusListCredential=f"{base_url}/status/1",
        ),
    )
    return credential.to_json_ld()


def award_one(server: LiveServer, tenant: Tenant, *, format: str = "ldp") -> Any:
    """A real credential for the tenant's educator (a new micro-credential each call)."""
    services = server.app.state.services
    [submission_id] = passing_submissions(services.sessions, tenant, server.settings.blob_dir, 1)
    with services.sessions() as session:
        return credentials.award(session, services, submission_id, approved_by=tenant.admin.id,
                                 format=format).credential  # type: ignore[arg-type]


VC_SUBJECT = "did:key:z6MkhTNL7i2etLerDK8Acz5t528giE5KA4p75T6ka1E1D74r"
"""The subject of the minimal VC 2.0 credentials (a did:key)."""


def vc2(did: str, **extra: Any) -> dict[str, Any]:
    """A minimal VC 2.0 credential (terms from the VC v2 context only)."""
    return {"@context": [CREDENTIALS_V2], "id": f"urn:uuid:{uuid.uuid4()}", "type": ["VerifiableCredential"],
            "issuer": did, "credentialSubject": {"id": VC_SUBJECT}, **extra}
