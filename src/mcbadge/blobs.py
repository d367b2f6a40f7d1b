"""Evidence files, stored once per content: ``<blob_dir>/<aa>/<bb>/<sha256>``.

An upload is streamed to a temporary file under ``<blob_dir>/tmp`` while it is hashed and counted, synced,
then renamed into place: ``os.replace`` is atomic, so a reader sees either no file or the whole file, and
two uploads of the same bytes at once both end with the same file (they rename identical content). The
file exists before its ``Blob`` row, which is inserted if absent (``ON CONFLICT DO NOTHING`` on SQLite and
PostgreSQL), so concurrent uploads of the same bytes make one row and neither fails. A crash between the
two leaves only an unreferenced file, never a row without its bytes. A store that cannot take the bytes (no
space left, a read-only or missing volume) fails the upload with :class:`StoreUnwritable` (503), its temporary
file removed.

The media type comes from the request's ``Content-Type``: it must be a well-formed ``type/subtype``, and for
a few formats whose first bytes are fixed (PDF, PNG, JPEG, GIF, ZIP-based office files) the bytes must
agree with it. The first upload of some bytes records their media type; later uploads of the same bytes
reuse that row.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from anyio import to_thread
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .db.models import Blob, utcnow
from .errors import Invalid, NotFound, TooLarge, Unavailable

__all__ = ["BadMediaType", "MissingBlob", "StoreUnwritable", "StoredFile", "UploadTooLarge", "blob_path", "clean_filename",
           "media_type_of", "record_blob", "store_file", "store_stream"]

log = logging.getLogger(__name__)

WRITE_CHUNK = 1024 * 1024
DRAIN_BOUND = 8 * 1024 * 1024
_TOKEN = r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}"
_MEDIA_TYPE = re.compile(rf"^{_TOKEN}/{_TOKEN}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_MAGIC: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/zip": (b"PK\x03\x04", b"PK\x05\x06"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
}
"""Formats that announce themselves in their first bytes: a file declared as one of them must start so."""


class UploadTooLarge(TooLarge):
    """The uploaded file is larger than ``max_upload_bytes``."""

    code = "upload-too-large"


class BadMediaType(Invalid):
    """The Content-Type of an upload is missing, malformed, or contradicted by the file's first bytes."""

    code = "bad-media-type"


class StoreUnwritable(Unavailable):
    """The blob store cannot take the bytes just now: no space left, a read-only or missing volume."""

    code = "store-unwritable"


class MissingBlob(NotFound):
    """The blob's row exists but its file is gone from the blob store."""

    code = "missing-blob"


@dataclass(frozen=True)
class StoredFile:
    """Bytes now in the store, named by their digest."""

    sha256: str
    size: int
    media_type: str


def media_type_of(content_type: str | None) -> str:
    """The media type of a ``Content-Type`` header (lower case, parameters dropped); raises BadMediaType."""
    value = (content_type or "").split(";", 1)[0].strip().lower()
    if not value:
        raise BadMediaType("send the file's media type as Content-Type (e.g. application/pdf, video/mp4)")
    if not _MEDIA_TYPE.match(value) or value.startswith("multipart/"):
        raise BadMediaType(f"{value[:100]!r} is not a media type for a file; send the raw bytes with their type")
    return value


def clean_filename(raw: str | None) -> str | None:
    """A display name from ``X-Filename`` (percent-encoded UTF-8 allowed): no directories, no control characters.

    Header values reach us decoded as ISO-8859-1 (HTTP's historical charset; Starlette's choice), so a client
    that sends the name as raw UTF-8 bytes would see "Ã©" for "é": bytes that form valid UTF-8 are read as
    UTF-8, anything else stays ISO-8859-1 text."""
    if not raw:
        return None
    try:
        raw = raw.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass  # not raw UTF-8: ISO-8859-1 text as received
    name = unquote(raw, errors="replace")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().lstrip(".")
    return name[:255] or None


def blob_path(blob_dir: Path, sha256: str) -> Path:
    """Where the bytes with this digest live."""
    if not _SHA256.match(sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return blob_dir / sha256[:2] / sha256[2:4] / sha256


def existing_blob_path(blob_dir: Path, sha256: str) -> Path:
    """The file of a stored blob; raises MissingBlob when the file is not there."""
    path = blob_path(blob_dir, sha256)
    if not path.is_file():
        raise MissingBlob(f"the file {sha256} is missing from the blob store")
    return path


class _Sink:
    """A temporary file that hashes and counts what is written to it (runs in a worker thread)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=directory, prefix="upload-")
        self.path = Path(name)
        self.file = os.fdopen(fd, "wb")
        self.digest = hashlib.sha256()
        self.size = 0
        self.moved = False

    def write(self, data: bytes) -> None:
        self.digest.update(data)
        self.file.write(data)
        self.size += len(data)

    def finish(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())  # the bytes are on disk before a row can name them
        self.file.close()

    def discard(self) -> None:
        if not self.file.closed:
            self.file.close()
        if not self.moved:  # once renamed, the temporary name may already belong to another upload
            self.path.unlink(missing_ok=True)


def _check_magic(media_type: str, head: bytes) -> None:
    signatures = _MAGIC.get(media_type)
    if signatures and not any(head.startswith(s) for s in signatures):
        raise BadMediaType(f"the file was sent as {media_type} but its content is not {media_type}")


def _install(sink: _Sink, blob_dir: Path) -> str:
    sha256 = sink.digest.hexdigest()
    final = blob_path(blob_dir, sha256)
    if final.is_file():
        sink.path.unlink()  # the same bytes are already stored
    else:
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(sink.path, final)
    sink.moved = True
    return sha256


async def store_stream(blob_dir: Path, chunks: AsyncIterator[bytes], *, media_type: str, max_bytes: int) -> StoredFile:
    """Stream ``chunks`` into the store; raises UploadTooLarge past ``max_bytes``, BadMediaType on a mismatch, and
    StoreUnwritable when the store cannot take the bytes (nothing of them is left behind: see the module)."""
    try:
        sink = await to_thread.run_sync(_Sink, blob_dir / "tmp")
    except OSError as exc:
        raise _unwritable(exc) from None
    try:
        buffer = bytearray()
        head = b""
        received = 0
        async for chunk in chunks:
            received += len(chunk)
            if received > max_bytes:
                # Read (and drop) a bounded rest before answering: closing on unread data resets the connection
                # and the client would never see the 413.
                async for more in chunks:
                    received += len(more)
                    if received > max_bytes + DRAIN_BOUND:
                        break
                raise UploadTooLarge(f"the file is larger than the upload limit of {max_bytes} bytes",
                                     limit=max_bytes)
            if len(head) < 16:
                head = (head + chunk)[:16]
            buffer += chunk
            if len(buffer) >= WRITE_CHUNK:
                await to_thread.run_sync(sink.write, bytes(buffer))
                buffer.clear()
        if buffer:
            await to_thread.run_sync(sink.write, bytes(buffer))
        if sink.size == 0:
            raise BadMediaType("the file is empty")
        _check_magic(media_type, head)
        await to_thread.run_sync(sink.finish)
        sha256 = await to_thread.run_sync(_install, sink, blob_dir)
        return StoredFile(sha256=sha256, size=sink.size, media_type=media_type)
    except OSError as exc:  # writing, syncing or renaming: the temporary file goes (finally), no row was made
        raise _unwritable(exc) from None
    finally:
        await to_thread.run_sync(sink.discard)


def _unwritable(exc: OSError) -> StoreUnwritable:
    # The operator needs the cause and the path (logged); the client needs to know it was not its file.
    log.error("the blob store cannot take an upload: %s", exc)
    return StoreUnwritable("the file could not be stored (the evidence store is full or not writable just now); "
                           "nothing was kept, try again later")


def store_file(blob_dir: Path, source: Path, *, media_type: str, max_bytes: int) -> StoredFile:
    """Copy a local file into the store (the command line's award import reads evidence files by path), as
    :func:`store_stream` stores an upload: hashed while copied, synced, renamed into place. Raises OSError when
    the file cannot be read, UploadTooLarge past ``max_bytes``, BadMediaType for an empty file or a mismatch."""
    sink = _Sink(blob_dir / "tmp")
    try:
        head = b""
        with source.open("rb") as handle:
            while chunk := handle.read(WRITE_CHUNK):
                if len(head) < 16:
                    head = (head + chunk)[:16]
                sink.write(chunk)
                if sink.size > max_bytes:
                    raise UploadTooLarge(f"the file is larger than the upload limit of {max_bytes} bytes",
                                         limit=max_bytes)
        if sink.size == 0:
            raise BadMediaType("the file is empty")
        _check_magic(media_type, head)
        sink.finish()
        return StoredFile(sha256=_install(sink, blob_dir), size=sink.size, media_type=media_type)
    finally:
        sink.discard()


def record_blob(session: Session, stored: StoredFile) -> Blob:
    """The ``Blob`` row of ``stored``, inserted if absent (safe when the same bytes arrive concurrently)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {"sha256": stored.sha256, "size": stored.size, "media_type": stored.media_type, "created_at": utcnow()}
    session.execute(insert(Blob).values(**values).on_conflict_do_nothing(index_elements=["sha256"]))
    blob = session.get(Blob, stored.sha256)
    assert blob is not None
    return blob
