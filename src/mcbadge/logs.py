"""Logging without data: every line the service writes passes :class:`RedactingFormatter`.

Log lines are read by more people, and kept longer, than the database: they must not carry personal data,
tokens or secret hashes. Two layers keep them out:

- the database engines hide bound parameters (``hide_parameters=True`` in ``db.make_engine``), so a failed
  statement is logged without the values it was given (e-mails, names, ``client_id``, ``secret_hash``);
- :class:`RedactingFormatter` rewrites what remains in the formatted line, traceback included: what the
  database itself quotes in its message (PostgreSQL's ``DETAIL: Key (email)=(...)``, a trigger's text), e-mail
  addresses, API keys and OAuth tokens, bearer credentials, long hex or base64url runs (secret hashes, secrets).

:func:`configure_logging` installs it on the root logger; ``mcbadge serve`` runs uvicorn without a logging
configuration of its own, so uvicorn's lines (errors, access log) go through it too. A pattern may hide a
harmless value (a did:key, a digest): a log line a little less useful is the price of never leaking a secret.
"""

from __future__ import annotations

import logging
import re

__all__ = ["RedactingFormatter", "configure_logging", "redact"]

_RULES: list[tuple[re.Pattern[str], str]] = [
    # SQLAlchemy's echo of a statement's parameters, should any engine not hide them.
    (re.compile(r"\[parameters: .*?\](?=\s*(?:\n|\(Background|$))", re.S), "[parameters: <redacted>]"),
    # PostgreSQL quotes offending values in its DETAIL line: "Key (email)=(ada@example.org) already exists.",
    # "Failing row contains (...)": the column names are kept, any value is not.
    (re.compile(r"(Key \([^)\n]*\))=\(.*?\)(?= already| is not|\.?$)", re.M), r"\1=(<redacted>)"),
    (re.compile(r"^(DETAIL:\s+)(?=\S)(?!Key \([^)\n]*\)=\(<redacted>\)).*$", re.M), r"\1<redacted>"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "<e-mail>"),
    (re.compile(r"\bmcb(?:at|rt)?_[A-Za-z0-9_-]+"), "<key>"),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 <credential>"),
    (re.compile(r"\b[0-9a-fA-F]{32,}\b"), "<hex>"),
    (re.compile(r"(?<![\w/.:-])[A-Za-z0-9_-]{40,}(?![\w/.-])"), "<secret>"),
]


def redact(text: str) -> str:
    """``text`` with personal data, keys, tokens and secret hashes replaced by placeholders."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


class RedactingFormatter(logging.Formatter):
    """A formatter whose every line, the exception's traceback and message included, is :func:`redact`-ed."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(level: int = logging.INFO) -> None:
    """Log to stderr through :class:`RedactingFormatter` (the root logger: mcbadge's, SQLAlchemy's, uvicorn's)."""
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
