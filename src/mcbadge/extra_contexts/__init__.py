"""Extra JSON-LD contexts the service may accept (VC API issuing, every verification), named by ``MCBADGE_EXTRA_CONTEXTS`` — none by default.

The production set is ``mcbadge.vc.contexts`` (pinned, fail closed). The W3C test suites send credentials
built on ``https://www.w3.org/ns/credentials/examples/v2``, a context whose only content is ``@vocab``: every
term it is asked about maps to ``https://www.w3.org/ns/credentials/examples#<term>``. That context lives
here, byte-exact with its provenance (``PROVENANCE.json``, checked by ``tests/test_vendored_hashes.py``),
and is served only when an operator names it.

Safe mode and ``@vocab``: mcbadge refuses terms that no context defines, because a term pyld cannot expand
would be dropped and left unsigned. A term that the examples context's ``@vocab`` expands is not dropped: it
becomes an IRI under the examples namespace and the signature covers it. So a document that *itself lists*
a ``vocab`` context is canonicalized with ``allow_vocab`` (its author chose that vocabulary); every other
document keeps the strict rule, even with the setting on. Nothing is ever fetched.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ..vc.canon import Canonicalizer, default_canonicalizer
from ..vc.contexts import PINNED_LOADER
from ..vc.errors import ContextError

__all__ = ["ContextPolicy", "available", "context_policy", "parse_names"]

_PACKAGE_DIR = resources.files(__name__)


@functools.lru_cache(maxsize=1)
def _provenance() -> list[dict[str, Any]]:  # a packaged file: read once, not on every verification
    return json.loads((_PACKAGE_DIR / "PROVENANCE.json").read_text("utf-8"))["contexts"]


def available() -> list[str]:
    """The names ``MCBADGE_EXTRA_CONTEXTS`` may list."""
    return [entry["name"] for entry in _provenance()]


def parse_names(value: str) -> tuple[str, ...]:
    """``"a, b"`` -> ``("a", "b")``; raises ValueError for a name that is not shipped here."""
    names = tuple(dict.fromkeys(n.strip() for n in value.split(",") if n.strip()))
    unknown = sorted(set(names) - set(available()))
    if unknown:
        raise ValueError(f"unknown extra contexts {unknown}; available: {available()}")
    return names


def _context_urls(node: Any) -> Iterator[str]:
    """Every context URL a document names, at any depth (embedded credentials have their own)."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "@context":
                for item in value if isinstance(value, list) else [value]:
                    if isinstance(item, str):
                        yield item
            else:
                yield from _context_urls(value)
    elif isinstance(node, list):
        for item in node:
            yield from _context_urls(item)


@dataclass(frozen=True)
class ContextPolicy:
    """Which canonicalizer reads a document: the strict default, or one that also knows the extras."""

    urls: frozenset[str]
    vocab_urls: frozenset[str]
    strict: Canonicalizer
    extras: Canonicalizer
    vocab: Canonicalizer

    def canonicalizer_for(self, document: Any) -> Canonicalizer:
        """The strict pinned canonicalizer unless ``document`` names an enabled extra context; with a
        ``@vocab`` extra, one that lets that vocabulary define terms."""
        if not self.urls:
            return self.strict
        named = set(_context_urls(document))
        if named & self.vocab_urls:
            return self.vocab
        return self.extras if named & self.urls else self.strict


def _loader(urls: frozenset[str]) -> Any:
    documents: dict[str, bytes] = {}
    for entry in _provenance():
        if entry["url"] not in urls:
            continue
        data = (_PACKAGE_DIR / entry["file"]).read_bytes()
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            # Refuse to start with a context whose bytes changed: signatures would silently change meaning.
            raise ContextError(f"extra context {entry['file']} does not match its recorded sha256")
        documents[entry["url"]] = data
    return PINNED_LOADER.with_documents(documents)


@functools.lru_cache(maxsize=8)
def context_policy(names: tuple[str, ...] = ()) -> ContextPolicy:
    """The policy for the extra contexts ``names`` (``()``: pinned contexts only, strict). Cached: the
    canonicalizers keep their context caches across requests."""
    chosen = [entry for entry in _provenance() if entry["name"] in set(names)]
    urls = frozenset(entry["url"] for entry in chosen)
    vocab_urls = frozenset(entry["url"] for entry in chosen if entry.get("vocab"))
    strict = default_canonicalizer()
    if not urls:
        return ContextPolicy(urls, vocab_urls, strict, strict, strict)
    loader = _loader(urls)
    return ContextPolicy(urls, vocab_urls, strict, Canonicalizer(loader), Canonicalizer(loader, allow_vocab=True))
