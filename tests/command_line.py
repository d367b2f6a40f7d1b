"""Running the ``mcbadge`` command in tests: in this process with typer's runner, or as a real subprocess.

A subprocess pays for a new interpreter importing the service (seconds on a loaded machine), so tests run the
command in this process, the same ``cli.app`` with the same arguments, settings read from the environment,
output and exit code, and keep real subprocesses for what only a process shows: the installed entry point's
exit codes and one-line errors (tests/test_cli.py), a run killed in the middle (tests/award_imports).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from mcbadge import cli


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def _settings_only(env: Mapping[str, str]) -> dict[str, str | None]:
    """``env``'s ``MCBADGE_*`` settings, and every other ``MCBADGE_*`` variable of this process unset."""
    unset: dict[str, str | None] = {name: None for name in os.environ if name.startswith("MCBADGE_")}
    return unset | {name: value for name, value in env.items() if name.startswith("MCBADGE_")}


def mcbadge_in_process(env: Mapping[str, str], *args: str, stdin: bytes | None = None) -> Ran:
    """``mcbadge ARGS`` run in this process with the ``MCBADGE_*`` settings of ``env`` (no others). An exception
    the command lets escape fails the test (a real run would print its traceback); the exit code of
    ``typer.Exit`` is the return code. Commands point the root logger at their stderr (mcbadge.logs): its handlers
    and level are put back afterwards, for pytest's log capture and the tests that run next."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    alembic = logging.getLogger("alembic")
    alembic_level = alembic.level
    try:
        result = CliRunner().invoke(cli.app, list(args), env=_settings_only(env), input=stdin)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        alembic.setLevel(alembic_level)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(result.exit_code, result.stdout, result.stderr)


def mcbadge_subprocess(env: Mapping[str, str], *args: str, stdin: bytes | None = None, cwd: Path | None = None,
                       timeout: float = 120) -> Ran:
    """``python -m mcbadge.cli ARGS``, the installed entry point, as a real process with exactly ``env``."""
    run = subprocess.run([sys.executable, "-m", "mcbadge.cli", *args], env=dict(env), input=stdin, cwd=cwd,
                         capture_output=True, timeout=timeout)
    return Ran(run.returncode, run.stdout.decode("utf-8", "replace"), run.stderr.decode("utf-8", "replace"))
