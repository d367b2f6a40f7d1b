"""The credential library stays a library: importing it pulls in no web framework, database or settings."""

from __future__ import annotations

import subprocess
import sys


def test_library_imports_no_framework_or_database():
    code = (
        "import sys, mcbadge.vc, mcbadge.vc.verify;"
        "bad = [m for m in sys.modules if m.split('.')[0] in {'fastapi','starlette','sqlalchemy','pydantic_settings','httpx','uvicorn'}"
        " or m in {'mcbadge.config','mcbadge.keystore'}];"
        "print(','.join(sorted(bad)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"the credential library imported {out}"
