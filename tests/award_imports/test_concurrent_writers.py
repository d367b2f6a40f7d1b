"""A bulk award draws its status indexes before it writes them (the credentials are signed in between), so other
writers may take them meanwhile. On SQLite and PostgreSQL: the allocator sees what was taken and adopts a list
another writer opened; a run whose drawn indexes are taken between its batches draws them again, in the next
list when the current one is full, signs those credentials again, and every credential still verifies."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import func, select

from mcbadge.award_imports import service
from mcbadge.db.models import Credential, StatusEntry, StatusList, StatusPurpose
from mcbadge.db.session import transaction
from mcbadge.status import service as status
from mcbadge.status.bulk import BulkAllocator
from mcbadge.vc.json_values import as_list
from mcbadge.vc.verify import Outcome
from tests.assertions import assert_all_passed, verify_live
from tests.factories.award_imports import award_file, many_rows
from tests.factories.tenants import Tenant, awarded_microcredential
from tests.live_server import LiveServer


def _take(server: LiveServer, list_id: uuid.UUID, indexes: list[int]) -> None:
    """Another writer reserves ``indexes`` of a list (as single awards do)."""
    with server.app.state.services.sessions() as session, transaction(session):
        for index in indexes:
            session.add(StatusEntry(id=uuid.uuid4(), status_list_id=list_id, status_index=index))
        session.get_one(StatusList, list_id).allocated += len(indexes)


def test_the_allocator_sees_indexes_and_lists_other_writers_took(server: LiveServer, tenant: Tenant) -> None:
    sessions = server.app.state.services.sessions
    with sessions() as session, transaction(session):
        allocator = BulkAllocator(session, tenant.issuer.id, length=16)
    slots = [allocator.draw(StatusPurpose.REVOCATION) for _ in range(20)]
    assert [s.seq for s in slots].count(1) == 16 and [s.seq for s in slots].count(2) == 4  # a full list: the next

    # Another writer opens list 1 first (it takes one index) and takes one of the indexes drawn in it.
    with sessions() as session, transaction(session):
        taken = status.allocate(session, tenant.issuer.id, StatusPurpose.REVOCATION, length=16)
        list_id, other = taken.status_list.id, taken.index
    stolen = next(s for s in slots if s.seq == 1 and s.index != other)
    _take(server, list_id, [stolen.index])
    with sessions() as session, transaction(session):
        conflicts = allocator.conflicts(session, slots)
    assert conflicts == {stolen, *(s for s in slots if s.seq == 1 and s.index == other)}

    # Drawn again: list 1 is full now (as far as anyone knows), so they go to list 2; then they are written.
    kept = [s for s in slots if s not in conflicts] + [allocator.draw(StatusPurpose.REVOCATION) for _ in conflicts]
    with sessions() as session, transaction(session):
        assert allocator.conflicts(session, kept) == set()
        allocator.insert(session, kept)
    allocator.committed()
    with sessions() as session:
        counted = dict(session.execute(select(StatusList.seq, StatusList.allocated).where(
            StatusList.issuer_id == tenant.issuer.id, StatusList.purpose == StatusPurpose.REVOCATION)).all())
        entries = session.scalar(select(func.count()).select_from(StatusEntry))
    assert counted == {1: 16, 2: 20 - 16 + len(conflicts)} and entries == 22
    with sessions() as session:
        assert allocator.sign_opened(session, tenant.issuer.slug, keystore=server.keystore,
                                     public_base_url=server.base_url) == 1  # list 2; list 1 is the other writer's


def test_a_run_whose_drawn_indexes_are_taken_meanwhile_draws_and_signs_them_again(server: LiveServer,
                                                                                  client: httpx.Client,
                                                                                  tenant: Tenant) -> None:
    services = server.app.state.services
    with services.sessions() as session, transaction(session):
        mc = awarded_microcredential(session, tenant.issuer, key="cfu-raced")
        # A short revocation list (64 indexes), opened before the run: the run draws from it.
        short = status.allocate(session, tenant.issuer.id, StatusPurpose.REVOCATION, length=64).status_list.id
    text = award_file(many_rows(24, key=mc.key, assessor=tenant.assessor.email))
    with services.sessions() as session:
        import_id = service.start(session, services, text, filename=None, slug=tenant.issuer.slug)

    filled: list[int] = []

    def progress(done: int, total: int) -> None:
        # After the first batch: every free index of the revocation list is taken by "single awards", among them
        # the ones the batches in flight were signed with.
        if done > 0 and not filled:
            with services.sessions() as session:
                used = set(session.scalars(select(StatusEntry.status_index).where(
                    StatusEntry.status_list_id == short)))
            filled.extend(i for i in range(64) if i not in used)
            _take(server, short, filled)

    done = service.run(services, import_id, text, files_dir=None, progress=progress, batch_size=4, workers=1)
    assert (done.status, done.awarded) == ("done", 24) and filled

    with services.sessions() as session:
        credentials = session.scalars(select(Credential).where(Credential.microcredential_id == mc.id)).all()
        seqs = {row.id: row.seq for row in session.execute(select(StatusList.id, StatusList.seq))}
        documents = [c.document for c in credentials]
        revocation = [(seqs[c.revocation_list_id], c.revocation_index) for c in credentials]
        named = [next((int(e["statusListCredential"].rsplit("/", 1)[1]), int(e["statusListIndex"]))
                      for e in as_list(c.document["credentialStatus"]) if e["statusPurpose"] == "revocation")
                 for c in credentials]
    assert revocation == named  # each credential was signed with the entry it holds
    assert {seq for seq, _ in revocation} == {1, 2}  # the taken ones went to the next list
    assert not {index for seq, index in revocation if seq == 1} & set(filled)
    for document, (seq, _) in zip(documents, revocation):
        report = verify_live(server, document)
        if seq == 2:  # drawn again and signed again
            assert_all_passed(report)
        else:  # list 1 is this test's short list, which verifiers rightly refuse (too little group privacy)
            assert report.check("proof").outcome is Outcome.PASSED and report.check("schema").outcome is Outcome.PASSED
