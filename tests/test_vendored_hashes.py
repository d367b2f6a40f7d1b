"""Vendored contexts, schemas and test vectors are byte-exact copies of what PROVENANCE.json records.

Each file listed must have the recorded sha256 and length, and every data file in the vendored
directories must be listed — so an edited copy, or an unrecorded file slipped in beside them, fails here.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HASH_WASM = REPO / "src/mcbadge/web/static/vendor/hash-wasm"
"""hash-wasm's SHA-256 build, served to the verification page's Web Worker (npm package pinned in interop/)."""

# (PROVENANCE.json, key of its list, directory the listed files are relative to, directories that hold
# only vendored data and must therefore be fully listed)
MANIFESTS = [
    (
        REPO / "src/mcbadge/vc/contexts/PROVENANCE.json",
        "contexts",
        REPO / "src/mcbadge/vc/contexts",
        [REPO / "src/mcbadge/vc/contexts"],
    ),
    (
        REPO / "src/mcbadge/extra_contexts/PROVENANCE.json",
        "contexts",
        REPO / "src/mcbadge/extra_contexts",
        [REPO / "src/mcbadge/extra_contexts"],
    ),
    (REPO / "schemas/PROVENANCE.json", "files", REPO / "schemas/ob-v3p0", [REPO / "schemas/ob-v3p0"]),
    (REPO / "tests/PROVENANCE.json", "files", REPO / "tests", [REPO / "tests/vectors", REPO / "tests/contexts"]),
    (HASH_WASM / "PROVENANCE.json", "files", HASH_WASM, [HASH_WASM]),
]
IDS = ["contexts", "extra-contexts", "schemas", "tests", "hash-wasm"]
NOT_DATA = {"README.md", "PROVENANCE.json"}


def _entries(manifest: Path, key: str) -> list[dict[str, object]]:
    return json.loads(manifest.read_text("utf-8"))[key]


def _data_files(directory: Path) -> set[Path]:
    # Python sources and their caches live beside the contexts (the package's __init__.py); they are code,
    # not vendored data.
    return {
        path
        for path in directory.rglob("*")
        if path.is_file()
        and path.name not in NOT_DATA
        and path.suffix not in {".py", ".pyc"}
        and "__pycache__" not in path.parts
    }


@pytest.mark.parametrize(("manifest", "key", "base", "dirs"), MANIFESTS, ids=IDS)
def test_listed_files_match_recorded_hash_and_length(
    manifest: Path, key: str, base: Path, dirs: list[Path]
) -> None:
    entries = _entries(manifest, key)
    assert entries, f"{manifest} lists no files"
    mismatched = []
    for entry in entries:
        path = base / str(entry["file"])
        assert path.is_file(), f"{path} is listed in {manifest.name} but missing"
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != entry["sha256"] or len(data) != entry["bytes"]:
            mismatched.append(str(path.relative_to(REPO)))
    assert not mismatched, f"vendored files changed: {mismatched}"


@pytest.mark.parametrize(("manifest", "key", "base", "dirs"), MANIFESTS, ids=IDS)
def test_every_vendored_file_is_listed(manifest: Path, key: str, base: Path, dirs: list[Path]) -> None:
    listed = {(base / str(entry["file"])).resolve() for entry in _entries(manifest, key)}
    assert len(listed) == len(_entries(manifest, key)), f"{manifest.name} lists a file twice"
    present = {path.resolve() for directory in dirs for path in _data_files(directory)}
    unlisted = sorted(str(p.relative_to(REPO)) for p in present - listed)
    assert not unlisted, f"files not recorded in {manifest.relative_to(REPO)}: {unlisted}"


def test_hash_wasm_is_the_pinned_npm_package() -> None:
    """The served copy is the file of the exact version interop/package.json pins (and package-lock.json holds
    the registry's integrity hash of), as ``npm ci`` installs it."""
    pinned = json.loads((REPO / "interop/package.json").read_text("utf-8"))["dependencies"]["hash-wasm"]
    entries = _entries(HASH_WASM / "PROVENANCE.json", "files")
    assert {entry["version"] for entry in entries} == {pinned}
    installed = REPO / "interop/node_modules/hash-wasm"
    if not installed.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail("interop/node_modules is missing: run make deps (npm ci)")
        pytest.skip("interop/node_modules is missing: run make deps (npm ci)")
    assert json.loads((installed / "package.json").read_text("utf-8"))["version"] == pinned
    for entry in entries:
        assert (installed / str(entry["path"])).read_bytes() == (HASH_WASM / str(entry["file"])).read_bytes()
