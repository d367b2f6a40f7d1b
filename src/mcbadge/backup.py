"""Backups of a whole installation, and their restore: ``mcbadge backup DIR`` and ``mcbadge restore DIR``.

A backup directory holds everything a service needs to go on signing and serving what it issued::

    DIR/
      manifest.json        what the backup is (format, dialect, source URL, time) and the SHA-256 and size of
                           every other file: restore checks them all before it writes anything
      database.sqlite3     SQLite: a consistent copy made with SQLite's online backup API (the service may be
                           running: the copy is of one moment, writers are not blocked for long)
      database.pgdump      PostgreSQL: ``pg_dump --format=custom`` (one consistent snapshot), restored by pg_restore
      keys/<slug>/key-N.*  the issuers' keys as they are on disk: private halves encrypted, never decrypted here
      blobs/aa/bb/<sha256> the evidence files

The order makes the copy consistent without stopping the service: the database first, then the keys and blobs.
Both directories only ever gain files (a key is never deleted, a blob is written before the row that names it),
so every key and blob the database snapshot refers to already exists when the files are copied; a file added
after the snapshot is copied too and is harmless. ``manifest.json`` is written last: a backup that was
interrupted has none and cannot be restored.

What is *not* in it: ``MCBADGE_KEY_PASSPHRASE`` (keep it in the secret store it comes from; the keys cannot be
used without it) and the settings. The development passphrase file (``keys/.passphrase``), when there is one, is
in the keys directory and is copied with it.

Restore writes only into an empty installation (no tables in the database, no keys, no blobs) unless told to
replace what is there (``force``): overwriting a live service's data by mistake would lose what it issued since.

The PostgreSQL client programs (``pg_dump``, ``pg_restore``) are found in ``MCBADGE_PG_BIN_DIR`` when set, else
on ``PATH``, else in the newest ``/usr/lib/postgresql/<version>/bin`` (Debian's layout). ``pg_dump`` must be at
least as new as the server.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, make_url

from .config import Settings

__all__ = ["BackupError", "BackupManifest", "backup", "pg_program", "restore", "verify_backup"]

MANIFEST = "manifest.json"
FORMAT = "mcbadge-backup"
FORMAT_VERSION = 1
SQLITE_FILE = "database.sqlite3"
PG_DUMP_FILE = "database.pgdump"
KEYS = "keys"
BLOBS = "blobs"
BLOB_TMP = "tmp"
"""The blob store's directory of uploads in progress (``mcbadge.blobs``): not evidence, never copied."""
_PROGRAM_TIMEOUT_S = 3600


class BackupError(Exception):
    """The backup or restore cannot be made; the message is one line saying why and what to do."""


@dataclass(frozen=True)
class BackupManifest:
    """What ``manifest.json`` says: the database's dialect and file, and every file's digest and size."""

    dialect: str
    database_file: str
    created_at: str
    public_base_url: str
    alembic_revision: str | None
    files: dict[str, dict[str, Any]]

    @property
    def total_bytes(self) -> int:
        return sum(int(f["size"]) for f in self.files.values())

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "version": FORMAT_VERSION, "dialect": self.dialect,
                "database_file": self.database_file, "created_at": self.created_at,
                "public_base_url": self.public_base_url, "alembic_revision": self.alembic_revision,
                "files": self.files}


# -- finding the PostgreSQL client programs ----------------------------------------------------------------


def pg_program(name: str, bin_dir: Path | None) -> str:
    """The path of PostgreSQL's ``name`` (``pg_dump``, ``pg_restore``): in ``bin_dir`` when given, else on PATH,
    else in the newest ``/usr/lib/postgresql/*/bin``."""
    if bin_dir is not None:
        candidate = Path(bin_dir) / name
        if not candidate.is_file():
            raise BackupError(f"no {name} in MCBADGE_PG_BIN_DIR={bin_dir}")
        return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: _version_number(Path(p).parent.name),
                      reverse=True)
    for directory in versions:
        if (Path(directory) / name).is_file():
            return str(Path(directory) / name)
    raise BackupError(f"{name} (a PostgreSQL client program) is not installed: install it (e.g. 'apt-get install "
                      f"postgresql-client') or name its directory in MCBADGE_PG_BIN_DIR")


def _version_number(name: str) -> int:
    return int(name) if name.isdigit() else -1


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI for ``url`` without its password, and the environment that carries the password
    (PGPASSWORD: a password on a command line is readable by every user of the machine through ps)."""
    env = {k: v for k, v in os.environ.items()}
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=_PROGRAM_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BackupError(f"{what} failed: {exc}") from None
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise BackupError(f"{what} failed (exit {result.returncode}): {last}")


# -- files -------------------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _files_under(root: Path, *, skip: tuple[str, ...] = ()) -> Iterator[Path]:
    """Every regular file under ``root`` (sorted; none if it does not exist), skipping top-level ``skip``."""
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if relative.parts[0] in skip or not path.is_file() or path.is_symlink():
            continue
        yield path


def _copy_tree(source: Path, target: Path, *, private: bool, skip: tuple[str, ...] = ()) -> list[Path]:
    """Copy every file under ``source`` to the same place under ``target``; the copies' paths. ``private``:
    directories 0700 and files 0600, as the keystore makes them."""
    copied = []
    for path in _files_under(source, skip=skip):
        destination = target / path.relative_to(source)
        _make_dirs(destination.parent, private)
        shutil.copyfile(path, destination)
        if private:
            os.chmod(destination, 0o600)
        copied.append(destination)
    return copied


def _make_dirs(path: Path, private: bool) -> None:
    # Path.mkdir(parents=True) makes the parents with the default mode: each level is made here instead.
    if path.is_dir():
        return
    _make_dirs(path.parent, private)
    path.mkdir(mode=0o700 if private else 0o777)


# -- backup ------------------------------------------------------------------------------------------------


def backup(settings: Settings, directory: Path) -> BackupManifest:
    """Back up the database, keys and blobs of ``settings`` into ``directory`` (new or empty)."""
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty: back up into a new directory")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)  # it holds the encrypted keys and personal data
    url = make_url(settings.database_url)
    dialect = url.get_backend_name()
    if dialect == "sqlite":
        database_file = SQLITE_FILE
        _backup_sqlite(_sqlite_path(url), directory / database_file)
    elif dialect == "postgresql":
        database_file = PG_DUMP_FILE
        uri, env = _libpq(url)
        _run([pg_program("pg_dump", settings.pg_bin_dir), "--format=custom", "--no-owner", "--no-privileges",
              f"--file={directory / database_file}", f"--dbname={uri}"], env, "pg_dump")
    else:
        raise BackupError(f"cannot back up a {dialect} database (SQLite and PostgreSQL only)")
    revision = _alembic_revision(settings.database_url)
    # After the database: these directories only gain files, so all the snapshot names are already there.
    _copy_tree(Path(settings.keys_dir), directory / KEYS, private=True)
    _copy_tree(Path(settings.blob_dir), directory / BLOBS, private=False, skip=(BLOB_TMP,))
    files = {}
    for path in _files_under(directory):
        relative = path.relative_to(directory).as_posix()
        files[relative] = {"sha256": _sha256(path), "size": path.stat().st_size}
    manifest = BackupManifest(dialect=dialect, database_file=database_file,
                              created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                              public_base_url=settings.public_base_url, alembic_revision=revision, files=files)
    partial = directory / (MANIFEST + ".partial")
    partial.write_text(json.dumps(manifest.to_json(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(partial, directory / MANIFEST)  # last, and whole: a backup without it is not one
    return manifest


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("the SQLite database is in memory: nothing to back up")
    return Path(url.database)


def _backup_sqlite(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"no SQLite database at {source} (MCBADGE_DATABASE_URL)")
    # SQLite's online backup API: a consistent copy page by page, while the service may go on writing. (Opened
    # read-write, as the service opens it: a read-only connection cannot open a WAL database whose -shm is gone.)
    with closing(sqlite3.connect(source)) as src, \
            closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
        # The copy alone is the whole database: no -wal file beside it.
        dst.execute("PRAGMA journal_mode=DELETE")


def _alembic_revision(database_url: str) -> str | None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


# -- verify and restore ------------------------------------------------------------------------------------


def verify_backup(directory: Path) -> BackupManifest:
    """The backup's manifest, once every file it lists is present with its size and SHA-256 and no other file
    is there; ``BackupError`` naming the first that is not."""
    directory = Path(directory)
    try:
        raw = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{directory} has no {MANIFEST}: not a backup, or one that did not finish") from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"cannot read {directory / MANIFEST}: {exc}") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise BackupError(f"{directory / MANIFEST} is not an mcbadge backup manifest")
    if raw.get("version") != FORMAT_VERSION:
        raise BackupError(f"backup format version {raw.get('version')!r}: this mcbadge reads version {FORMAT_VERSION}")
    try:
        manifest = BackupManifest(dialect=str(raw["dialect"]), database_file=str(raw["database_file"]),
                                  created_at=str(raw["created_at"]), public_base_url=str(raw["public_base_url"]),
                                  alembic_revision=raw.get("alembic_revision"), files=dict(raw["files"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise BackupError(f"{directory / MANIFEST} is incomplete: {exc}") from None
    present = {p.relative_to(directory).as_posix() for p in _files_under(directory)} - {MANIFEST}
    if unlisted := sorted(present - set(manifest.files)):
        raise BackupError(f"{unlisted[0]} is in {directory} but not in its manifest ({len(unlisted)} such file(s))")
    if manifest.database_file not in manifest.files:
        raise BackupError(f"the manifest lists no database file {manifest.database_file}")
    for relative, expected in manifest.files.items():
        path = directory / relative
        if directory.resolve() not in path.resolve().parents:
            raise BackupError(f"the manifest names a file outside the backup: {relative}")
        if not path.is_file():
            raise BackupError(f"{relative} is missing from {directory}")
        if path.stat().st_size != expected.get("size") or _sha256(path) != expected.get("sha256"):
            raise BackupError(f"{relative} does not match its SHA-256 in the manifest: the backup is damaged")
    return manifest


def restore(settings: Settings, directory: Path, *, force: bool = False) -> BackupManifest:
    """Restore the backup in ``directory`` into the database, keys and blob directories of ``settings``, after
    checking every file against the manifest. Refuses a non-empty target unless ``force``."""
    directory = Path(directory)
    manifest = verify_backup(directory)
    url = make_url(settings.database_url)
    dialect = url.get_backend_name()
    if dialect != manifest.dialect:
        raise BackupError(f"this backup is of a {manifest.dialect} database and MCBADGE_DATABASE_URL names a "
                          f"{dialect} one: restore it into {manifest.dialect}")
    keys_dir, blob_dir = Path(settings.keys_dir), Path(settings.blob_dir)
    occupied = [what for what, filled in (
        (f"the database ({url.render_as_string(hide_password=True)})", _database_has_tables(settings.database_url)),
        (f"the keys directory {keys_dir}", any(_files_under(keys_dir))),
        (f"the blob directory {blob_dir}", any(_files_under(blob_dir, skip=(BLOB_TMP,)))),
    ) if filled]
    if occupied and not force:
        raise BackupError(f"{' and '.join(occupied)} already hold data; restore writes only into an empty "
                          "installation (use --force to replace what is there)")
    source = directory / manifest.database_file
    if dialect == "sqlite":
        _restore_sqlite(source, _sqlite_path(url))
    else:
        uri, env = _libpq(url)
        command = [pg_program("pg_restore", settings.pg_bin_dir), "--no-owner", "--no-privileges",
                   "--exit-on-error", "--single-transaction", f"--dbname={uri}"]
        if force:
            command += ["--clean", "--if-exists"]
        _run([*command, str(source)], env, "pg_restore")
    _copy_tree(directory / KEYS, keys_dir, private=True)
    _copy_tree(directory / BLOBS, blob_dir, private=False)
    return manifest


def _database_has_tables(database_url: str) -> bool:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and not _sqlite_path(url).exists():
        return False
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return bool(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def _restore_sqlite(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # The backup API again, into the target's own connection: correct even over an existing database in WAL
    # mode (force), where copying the file would leave its -wal file to be replayed over the restored pages.
    with closing(sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)) as src, \
            closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
