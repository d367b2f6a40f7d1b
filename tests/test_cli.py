"""The ``mcbadge`` command. The installed entry point runs as a real subprocess where the process is what is
tested: its exit codes (0 verified, 1 not verified, 2 unreadable) and one-line errors without a traceback, for a
good, a tampered, a garbage and a missing file. The rest runs the same command in this process
(tests/command_line.py), a subprocess costing seconds of imports each."""

from __future__ import annotations

import io
import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest
from PIL import Image

from mcbadge.identity import issuer_did
from mcbadge.keystore import Keystore
from mcbadge.vc.baking import bake_png, bake_svg
from mcbadge.vc.data_integrity import sign_credential
from tests.command_line import Ran, mcbadge_in_process, mcbadge_subprocess
from tests.factories.credentials import rich_credential as _unsigned
from tests.live_server import TEST_PASSPHRASE

SLUG = "cli-district"
BASE_URL = "http://127.0.0.1:8000"


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCBADGE_")}
    env.update(
        MCBADGE_KEYS_DIR=str(tmp_path / "keys"),
        MCBADGE_KEY_PASSPHRASE=TEST_PASSPHRASE,
        MCBADGE_ISSUER_SLUG=SLUG,
        MCBADGE_PUBLIC_BASE_URL=BASE_URL,
        MCBADGE_DATABASE_URL=f"sqlite:///{tmp_path / 'mcbadge.db'}",
    )
    return env


def mcbadge(tmp_path: Path, *args: str) -> Ran:
    """The installed entry point as a real process, in ``tmp_path``."""
    return mcbadge_subprocess(_env(tmp_path), *args, cwd=tmp_path)


def in_process(tmp_path: Path, *args: str, stdin: bytes | None = None) -> Ran:
    """The same command in this process (same arguments and settings)."""
    return mcbadge_in_process(_env(tmp_path), *args, stdin=stdin)


def _refused_in_one_line(result: Ran) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("mcbadge: error:") and "Traceback" not in result.stderr


@pytest.fixture
def signed_file(tmp_path: Path) -> Path:
    did = issuer_did(BASE_URL, SLUG)
    key = Keystore(tmp_path / "keys", TEST_PASSPHRASE).load_or_create(SLUG, did)
    signed = sign_credential(_unsigned(did), key, created=datetime(2025, 3, 14, 15, 10, tzinfo=timezone.utc))
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(signed))
    return path


def test_init_prints_the_did_and_public_key_never_the_private_key(tmp_path: Path) -> None:
    result = in_process(tmp_path, "init")
    assert result.returncode == 0, result.stderr
    did = issuer_did(BASE_URL, SLUG)
    assert did in result.stdout
    key = Keystore(tmp_path / "keys", TEST_PASSPHRASE).load_or_create(SLUG, did)
    assert key.public_multibase in result.stdout
    output = result.stdout + result.stderr
    assert key.export_private_multibase() not in output
    assert TEST_PASSPHRASE not in output
    assert "signing key:         created now" in result.stdout
    # Running it again keeps the same key, and says it found it.
    again = in_process(tmp_path, "init")
    assert key.public_multibase in again.stdout and "signing key:         found (made earlier)" in again.stdout


def test_verify_reads_baked_badges_as_the_service_does(tmp_path: Path, signed_file: Path) -> None:
    """A baked PNG or SVG badge is read like an upload to POST /verify (by content, not by name)."""
    credential = json.loads(signed_file.read_text())
    png = io.BytesIO()
    Image.new("RGB", (4, 4), "teal").save(png, format="PNG")
    baked_png = tmp_path / "badge.png"
    baked_png.write_bytes(bake_png(png.getvalue(), credential))
    baked_svg = tmp_path / "badge.svg"
    baked_svg.write_bytes(bake_svg('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>', credential))
    for path in (baked_png, baked_svg):
        result = in_process(tmp_path, "verify", str(path))
        assert result.returncode == 0, result.stdout + result.stderr
        assert "ok   proof" in result.stdout
    plain = tmp_path / "plain.png"
    plain.write_bytes(png.getvalue())
    refused = in_process(tmp_path, "verify", str(plain))
    assert refused.returncode == 2 and refused.stderr.startswith("mcbadge: error:")
    assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr


def test_verify_a_good_file_exits_0(tmp_path: Path, signed_file: Path) -> None:
    result = mcbadge(tmp_path, "verify", str(signed_file))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "proof" in result.stdout
    assert "Verified" in result.stdout


def test_verify_reads_standard_input(tmp_path: Path, signed_file: Path) -> None:
    result = in_process(tmp_path, "verify", "-", stdin=signed_file.read_bytes())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok   proof" in result.stdout


def test_verify_a_tampered_file_exits_1_and_names_the_failing_check(tmp_path: Path, signed_file: Path) -> None:
    credential = json.loads(signed_file.read_text())
    credential["name"] = "Something else"
    signed_file.write_text(json.dumps(credential))
    result = mcbadge(tmp_path, "verify", str(signed_file))
    assert result.returncode == 1
    assert any(line.startswith("FAIL") and "proof" in line for line in result.stdout.splitlines())


GARBAGE = {"text": b"{this is not json", "binary": b"\xff\xfe\x00garbage", "empty-object": b"{}",
           "array": b"[1, 2, 3]", "empty": b""}


@pytest.mark.parametrize("content", GARBAGE.values(), ids=GARBAGE.keys())
def test_verify_garbage_prints_one_line_and_exits_2(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "garbage.json"
    path.write_bytes(content)
    _refused_in_one_line(in_process(tmp_path, "verify", str(path)))


def test_the_entry_point_refuses_garbage_in_one_line(tmp_path: Path) -> None:
    """The same refusal from the real process: exit code 2, one line on stderr, no traceback."""
    path = tmp_path / "garbage.json"
    path.write_bytes(GARBAGE["binary"])
    _refused_in_one_line(mcbadge(tmp_path, "verify", str(path)))


def test_verify_a_missing_file_exits_2_without_traceback(tmp_path: Path) -> None:
    _refused_in_one_line(mcbadge(tmp_path, "verify", str(tmp_path / "nope.json")))


def test_serve_refuses_several_workers_on_sqlite_saying_why(tmp_path: Path) -> None:
    """In this process: the refusal comes before anything starts."""
    result = in_process(tmp_path, "serve", "--workers", "2")
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert "--workers 2 needs PostgreSQL" in line and "SQLite lets one process write at a time" in line
    assert not (tmp_path / "mcbadge.db").exists()  # refused before the database was touched
