"""Logging without data: every line the service writes passes :func:`redact`, and names its request.

Log lines are read by more people, and kept longer, than the database: they must not carry personal data,
tokens or secret hashes. Two layers keep them out:

- the database engines hide bound parameters (``hide_parameters=True`` in ``db.make_engine``), so a failed
  statement is logged without the values it was given (e-mails, names, ``client_id``, ``secret_hash``);
- the formatters rewrite what remains in the formatted line, traceback included: what the database itself quotes
  in its message (PostgreSQL's ``DETAIL: Key (email)=(...)``, a trigger's text), e-mail addresses, API keys and
  OAuth tokens, bearer credentials, long hex or base64url runs (secret hashes, secrets).

:func:`configure_logging` installs them on the root logger; ``mcbadge serve`` runs uvicorn without a logging
configuration of its own, so uvicorn's lines (errors, access log) go through them too. A pattern may hide a
harmless value (a did:key, a digest): a log line a little less useful is the price of never leaking a secret.

Every line written while a request is handled carries its request id (:data:`REQUEST_ID`, a context variable
that ``api.request_ids`` sets for the request's task and that FastAPI's worker threads inherit): the client's
``X-Request-Id`` when it sent a usable one, else a new one, echoed in the response. Lines are text
(``LEVEL logger [request id]: message``) or, with ``MCBADGE_LOG_FORMAT=json``, one JSON object per line
(``time``, ``level``, ``logger``, ``request_id``, ``message``, ``exception``) for a log collector.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Any
from contextvars import ContextVar
from datetime import datetime, timezone

__all__ = ["REQUEST_ID", "JsonFormatter", "RedactingFormatter", "configure_logging", "redact"]

REQUEST_ID: ContextVar[str | None] = ContextVar("mcbadge_request_id", default=None)
"""The id of the request being handled, for every log line written on its behalf (None outside requests)."""

_RULES: list[tuple[re.Pattern[str], str]] = [
    # SQLAlchemy's echo of a statement's parameters, should any engine not hide them.
    (re.compile(r"\[parameters: .*?\](?=\s*(?:\n|\(Background|$))", re.S), "[parameters: <redacted>]"),
    # PostgreSQL quotes offending values in its DETAIL line: "Key (email)=(ada@example.org) already exists.",
    # "Failing row contains (...)": the column names are kept, any value is not.
    (re.compile(r"(Key \([^)\n]*\))=\(.*?\)(?= already| is not|\.?$)", re.M), r"\1=(<redacted>)"),
    (re.compile(r"^(DETAIL:\s+)(?=\S)(?!Key \([^)\n]*\)=\(<redacted>\)).*$", re.M), r"\1<redacted>"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "<e-mail>"),
    (re.compile(r"\bmcb(?:at|rt|wt)?_[A-Za-z0-9_-]+"), "<key>"),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 <credential>"),
    (re.compile(r"\b[0-9a-fA-F]{32,}\b"), "<hex>"),
    (re.compile(r"(?<![\w/.:-])[A-Za-z0-9_-]{40,}(?![\w/.-])"), "<secret>"),
]


def redact(text: str) -> str:
    """``text`` with personal data, keys, tokens and secret hashes replaced by placeholders."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


class _RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record the handler writes ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get() or "-"
        return True


class RedactingFormatter(logging.Formatter):
    """A formatter whose every line, the exception's traceback and message included, is :func:`redact`-ed."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line, each field :func:`redact`-ed before it is encoded (the rules read the text as
    written, tracebacks' line breaks included). Written here rather than taken from a library such as
    python-json-logger: it is a dozen lines, and redacting each field is the part that matters."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": redact(str(getattr(record, "request_id", None) or REQUEST_ID.get() or "-")),
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False)


class _CurrentStderr(logging.StreamHandler):
    """Writes to ``sys.stderr`` as it is when a line is logged, not as it was when the handler was made: a command
    run in process (a test's CliRunner) swaps stderr and closes its stand-in afterwards, and a handler holding
    that closed stream made every later line a "Logging error"."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:  # StreamHandler.__init__ sets it; the property always reads sys.stderr
        pass


def configure_logging(level: int = logging.INFO, *, json_lines: bool = False) -> None:
    """Log to stderr through the redacting formatters (the root logger: mcbadge's, SQLAlchemy's, uvicorn's), in
    text or, with ``json_lines``, one JSON object per line; every line names its request."""
    handler = _CurrentStderr()
    handler.addFilter(_RequestIdFilter())
    handler.setFormatter(JsonFormatter() if json_lines else
                         RedactingFormatter("%(levelname)s %(name)s [%(request_id)s]: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # Alembic says "Context impl SQLiteImpl" at every start and every command, before any one-line CLI error;
    # mcbadge.db.migrate logs the one line that matters (which revisions it migrated), and warnings still pass.
    logging.getLogger("alembic").setLevel(max(level, logging.WARNING))
