"""Building and signing imported awards on every core: a pool of worker processes.

Signing is CPU work in Python (canonicalizing each credential takes milliseconds) and the GIL lets one thread
do it at a time, so a bulk award signs in processes (``concurrent.futures.ProcessPoolExecutor``), one per core.
Each worker opens the keystore itself, from the keys directory and the passphrase it is given in memory when
it starts: the private key is decrypted inside the worker and never leaves a process, nor is any key written
anywhere but ``keys/`` (where it already is, encrypted).

How workers start: by forking this process when it has no other thread (the command line), which is
instant and shares everything already imported; from a fork server (``forkserver``) otherwise (the API runs an
import in a thread beside uvicorn's), because forking a process that has threads can copy a lock another thread
holds. The fork server imports the caller's main module and this one once (``set_forkserver_preload``), so each
worker starts warm; as with any start method but ``fork``, a script that runs an import must guard its top
level with ``if __name__ == "__main__":``. A forked worker inherits the parent's database connections: it never
uses them, and a worker ends with ``os._exit`` (``multiprocessing``), so it never closes them either.

What a worker gets is plain data: the organisation and micro-credential versions once, at start
(:class:`IssuerFacts`, :class:`MicroCredentialFacts`), then chunks of :class:`ToSign`. It makes the same
transient rows the award service reads from the database (never attached to a session) and builds the
credential with ``credentials.build`` and signs it with ``credentials.service.signed_ldp``: one document
shape, one signing path. It answers with the signed credential as JSON text, which the caller stores as is.

``workers=0`` signs in the calling process (no pool): for a machine with one core, and to compare.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from ..credentials.build import AwardContext, QualificationCitation, build_credential, microcredential_achievement
from ..credentials.service import signed_ldp
from ..db.models import Assessment, Blob, Credential, EvidenceItem, Issuer, MicroCredential, Person
from ..keystore import signing_keystore
from ..status.bulk import Slot, entry_of
from ..vc.keys import Ed25519KeyPair

__all__ = ["EvidenceFacts", "IssuerFacts", "MicroCredentialFacts", "SigningPool", "ToSign"]


@dataclass(frozen=True)
class IssuerFacts:
    """What a credential says about the organisation that issues it."""

    id: uuid.UUID
    slug: str
    did: str
    name: str
    url: str | None
    email: str | None
    image_url: str | None
    validity_days: int | None


@dataclass(frozen=True)
class MicroCredentialFacts:
    """A micro-credential version, as its awards state it."""

    id: uuid.UUID
    key: str
    version: int
    title: str
    competency: str
    key_method: str
    requirements: list[Any]
    rubric: dict[str, Any]
    alignments: list[Any]
    tags: list[Any]
    image_url: str | None
    pd_hours: float | None
    validity_days: int | None = None


@dataclass(frozen=True)
class EvidenceFacts:
    id: uuid.UUID
    requirement_key: str
    position: int
    kind: str
    filename: str | None
    blob_sha256: str | None
    media_type: str | None
    url: str | None
    sha256: str | None


@dataclass(frozen=True)
class ToSign:
    """One credential to build and sign: its ids, the assessed levels, the evidence, its status slots."""

    credential_id: uuid.UUID
    microcredential_id: uuid.UUID
    educator_email: str
    assessment_id: uuid.UUID
    scores: dict[str, str]
    evidence: tuple[EvidenceFacts, ...]
    revocation: Slot
    suspension: Slot | None
    """None unless the issuer opted into suspension."""
    valid_from: datetime
    qualifications: tuple[QualificationCitation, ...] = ()
    """The assessor's qualification current at the award date, as a normal award cites the one current at its
    ``validFrom``."""


class _Worker:
    """What one process needs to build and sign: the signer and the transient rows the build reads."""

    def __init__(self, keys_dir: Path, passphrase: SecretStr | None, public_base_url: str, issuer: IssuerFacts,
                 microcredentials: Sequence[MicroCredentialFacts]) -> None:
        self.signer: Ed25519KeyPair = signing_keystore(keys_dir, passphrase).load_or_create(issuer.slug, issuer.did)
        self.base = public_base_url
        self.issuer_did = issuer.did
        self.issuer = Issuer(id=issuer.id, slug=issuer.slug, name=issuer.name, url=issuer.url, email=issuer.email,
                             image_url=issuer.image_url, validity_days=issuer.validity_days)
        self.microcredentials = {
            mc.id: MicroCredential(id=mc.id, key=mc.key, version=mc.version, title=mc.title, competency=mc.competency,
                                   key_method=mc.key_method, requirements=mc.requirements, rubric=mc.rubric,
                                   alignments=mc.alignments, tags=mc.tags, image_url=mc.image_url,
                                   pd_hours=mc.pd_hours, validity_days=mc.validity_days)
            for mc in microcredentials}
        # Once per version: every award of it states the same Achievement.
        self.achievements = {mc_id: microcredential_achievement(public_base_url, issuer.slug, mc)
                             for mc_id, mc in self.microcredentials.items()}

    def sign(self, item: ToSign, signed_at: datetime) -> str:
        evidence = []
        for facts in item.evidence:
            row = EvidenceItem(id=facts.id, requirement_key=facts.requirement_key, position=facts.position,
                               kind=facts.kind, filename=facts.filename, blob_sha256=facts.blob_sha256, url=facts.url,
                               sha256=facts.sha256)
            if facts.blob_sha256 is not None:
                row.blob = Blob(sha256=facts.blob_sha256, media_type=facts.media_type)
            evidence.append(row)
        ctx = AwardContext(
            credential=Credential(id=item.credential_id),
            issuer=self.issuer,
            issuer_did=self.issuer_did,
            microcredential=self.microcredentials[item.microcredential_id],
            educator=Person(email=item.educator_email),
            evidence=evidence,
            assessment=Assessment(id=item.assessment_id, scores=item.scores, lead_decision=False),
            assessor_count=1,
            revocation_entry=entry_of(self.base, self.issuer.slug, item.revocation),
            suspension_entry=entry_of(self.base, self.issuer.slug, item.suspension) if item.suspension else None,
            qualifications=item.qualifications,
            achievement=self.achievements[item.microcredential_id],
        )
        document = build_credential(ctx, public_base_url=self.base, valid_from=item.valid_from)
        return json.dumps(signed_ldp(document, self.signer, now=signed_at))


_PARENT_POLL_S = 0.5

_worker: _Worker | None = None
"""This process's worker (set by the pool's initializer in each worker process)."""


def _start_worker(parent: int | None, *args: Any) -> None:
    global _worker
    watch = threading.Thread(target=_exit_with_parent, args=(os.getppid() if parent is None else parent,),
                             name="exit-with-parent", daemon=True)
    watch.start()
    _worker = _Worker(*args)


def _exit_with_parent(parent: int) -> None:
    """End this worker when the process that started it is gone (a ``kill -9`` of the import).

    A worker waits for tasks on a pipe whose writing end every forked worker inherited too, so it would never
    read an end of file and would wait for ever; nothing else tells it. The parent's death shows as a new parent
    (the orphan is adopted)."""
    while os.getppid() == parent:
        time.sleep(_PARENT_POLL_S)
    os._exit(1)


def _sign_chunk(items: Sequence[ToSign], signed_at: datetime) -> list[str]:
    assert _worker is not None, "the worker was not initialized"
    return [_worker.sign(item, signed_at) for item in items]


class SigningPool:
    """Signs chunks of :class:`ToSign` in ``workers`` processes (0: in this process). A context manager: the
    processes end with it."""

    def __init__(self, *, keys_dir: Path, passphrase: SecretStr | None, public_base_url: str,
                 issuer: IssuerFacts, microcredentials: Sequence[MicroCredentialFacts], workers: int | None = None) -> None:
        self.workers = max(0, os.cpu_count() or 1) if workers is None else workers
        args = (keys_dir, passphrase, public_base_url, issuer, list(microcredentials))
        self._local: _Worker | None = None
        self._pool: ProcessPoolExecutor | None = None
        if self.workers == 0:
            self._local = _Worker(*args)
        else:
            # Decided here, as the pool starts its processes at the first task and its manager thread after them.
            context = multiprocessing.get_context("fork" if threading.active_count() == 1 else "forkserver")
            if context.get_start_method() == "forkserver":
                # The caller's main module too: each worker would import it again otherwise (as ``spawn`` does).
                context.set_forkserver_preload(["__main__", __name__])
            # A forked worker's parent is this process; one from the fork server is the server's (it ends when
            # this process does).
            parent = os.getpid() if context.get_start_method() == "fork" else None
            self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context,
                                             initializer=_start_worker, initargs=(parent, *args))

    def submit(self, items: Sequence[ToSign], signed_at: datetime) -> Future[list[str]]:
        """The signed credentials (JSON text) of ``items``, in order, when done."""
        if self._pool is not None:
            return self._pool.submit(_sign_chunk, list(items), signed_at)
        done: Future[list[str]] = Future()
        try:
            assert self._local is not None
            done.set_result([self._local.sign(item, signed_at) for item in items])
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future, as a pool would
            done.set_exception(exc)
        return done

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> SigningPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
