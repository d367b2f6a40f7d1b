"""What both JSON-LD -> RDF paths share: RDF term constants, canonical N-Quads escaping, IRI checks, and
pyld's memoizing context processor with its per-loader caches.

``canon.py`` runs pyld (the general path) and ``_fast_rdf.py`` the direct path for credential-shaped documents;
``canon.Canonicalizer`` owns one ``_fast_rdf.FastRdf``. Both read the pieces below, which is why they live in a
module of their own rather than in ``canon.py``: the fast path imports them without importing the canonicalizer
that uses it.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
from typing import Any

from frozendict import frozendict
from pyld import jsonld
from pyld.jsonld import JsonLdProcessor

from .contexts import PinnedLoader
from .errors import CanonicalizationError

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
MAX_SAFE_INTEGER = 2**53 - 1

# A quad is four serialized N-Quads terms: subject, predicate, object, graph ('' for the default graph).
Quad = tuple[str, str, str, str]

_ACTIVE_CONTEXT_LABEL = "_mcbadge_label"
# Term expansions are bounded by the vocabulary, but a hostile document can invent terms: cap the memo.
_IRI_CACHE_LIMIT = 50_000

# RDFC-1.0 canonical escaping: ECHAR for the five named controls, quote and backslash; UCHAR with
# upper-case hex for every other C0 control and DEL.
_ESCAPES = {i: f"\\u{i:04X}" for i in itertools.chain(range(0x20), [0x7F])}
_ESCAPES.update({0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r", 0x22: '\\"', 0x5C: "\\\\"})
_NEEDS_ESCAPE = frozenset(chr(c) for c in _ESCAPES)


def escape_literal(value: str) -> str:
    """Escape a literal's lexical form for canonical N-Quads."""
    if _NEEDS_ESCAPE.isdisjoint(value):
        return value
    return value.translate(_ESCAPES)


_NOT_IN_IRI = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def _check_iri(value: str) -> str:
    # Characters that cannot appear in an IRIREF: N-Quads with them could not be parsed back, and
    # implementations disagree on escaping them, so refuse rather than sign something ambiguous.
    if _NOT_IN_IRI.search(value):
        raise CanonicalizationError(f"IRI {value!r} contains a character not allowed in an IRI")
    return value


_ABSOLUTE_IRI = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*|_):[^\s]*$")


@functools.lru_cache(maxsize=65_536)
def _is_absolute_iri_str(value: str) -> bool:
    return _ABSOLUTE_IRI.match(value) is not None


def _is_absolute_iri(value: Any) -> bool:
    return isinstance(value, str) and _is_absolute_iri_str(value)


# pyld tests every subject, predicate and IRI with `re.match(<pattern string>, v)`, which looks the
# pattern up in re's cache on each of the ~300 calls per credential. Same pattern, same truth value
# (pyld only tests truthiness), memoized: a pure function swapped for an equal one.
jsonld._is_absolute_iri = _is_absolute_iri  # noqa: SLF001


class _CachingProcessor(JsonLdProcessor):  # type: ignore[misc]  # pyld ships no types: its class is Any
    """pyld's processor with memoized context processing and safe-mode checks during expansion."""

    def __init__(self, shared: _SharedState, allow_vocab: bool) -> None:
        super().__init__()
        self._shared = shared
        self._allow_vocab = allow_vocab
        self._in_context = 0
        self.violations: list[str] = []

    def _process_context(
        self,
        active_ctx: Any,
        local_ctx: Any,
        options: dict[str, Any],
        override_protected: bool = False,
        propagate: bool = True,
        validate_scoped: bool = True,
        cycles: Any = None,
    ) -> Any:
        memo_key = None
        active_label = self._shared.label_of(active_ctx)
        local_key = self._shared.local_key(local_ctx)
        if active_label is not None and local_key is not None:
            memo_key = (active_label, local_key, override_protected, propagate, validate_scoped)
            hit = self._shared.memo.get(memo_key)
            if hit is not None:
                return hit
        self._in_context += 1
        try:
            result = super()._process_context(
                active_ctx, local_ctx, options, override_protected, propagate, validate_scoped, cycles
            )
        finally:
            self._in_context -= 1
        if not isinstance(result, frozendict) and _ACTIVE_CONTEXT_LABEL not in result:
            result[_ACTIVE_CONTEXT_LABEL] = self._shared.new_label()
        if memo_key is not None:
            self._shared.memo[memo_key] = result
        return result

    def _expand_iri(
        self,
        active_ctx: Any,
        value: Any,
        base: str | None = None,
        vocab: bool = False,
        local_ctx: Any = None,
        defined: Any = None,
    ) -> Any:
        # Terms and types are expanded hundreds of times per document against a handful of active
        # contexts; the answer depends only on (context, value), so memoize that outside context
        # processing. Document-relative IRIs (vocab=False) are data, not vocabulary: never cached.
        if vocab and local_ctx is None and base is None and isinstance(value, str):
            label = self._shared.label_of(active_ctx)
            if label is not None:
                key = (label, value)
                cache = self._shared.iri_cache
                try:
                    return cache[key]
                except KeyError:
                    result = super()._expand_iri(active_ctx, value, base, vocab, local_ctx, defined)
                    if len(cache) < _IRI_CACHE_LIMIT:
                        cache[key] = result
                    return result
        return super()._expand_iri(active_ctx, value, base, vocab, local_ctx, defined)

    # Safe mode: these overrides re-run, on the same active contexts, the expansions pyld is about to
    # make, and record every key, @id, @type or coerced value that would be dropped, stay relative, or
    # fall back to @vocab. pyld itself would drop or keep such data silently.

    def _expand_object(
        self,
        active_ctx: Any,
        active_property: Any,
        expanded_active_property: Any,
        element: dict[str, Any],
        expanded_parent: Any,
        options: dict[str, Any],
        inside_list: bool = False,
        type_key: Any = None,
        type_scoped_ctx: Any = None,
    ) -> Any:
        for key, value in element.items():
            if key == "@context":
                continue
            expanded = JsonLdProcessor._expand_iri(self, active_ctx, key, vocab=True)
            if expanded is None or not (_is_absolute_iri(expanded) or jsonld._is_keyword(expanded)):
                self._violation(f"property {key!r} is not defined by the credential's contexts")
            elif expanded.startswith("_:"):
                # RDF has no blank-node predicates: pyld would drop these triples without a word.
                self._violation(f"property {key!r} maps to a blank node, which RDF cannot express")
            elif not jsonld._is_keyword(key) and self._is_vocab_fallback(active_ctx, key):
                self._violation(f"property {key!r} is not defined by the credential's contexts")
            elif expanded == "@id":
                for v in JsonLdProcessor.arrayify(value):
                    if isinstance(v, str):
                        self._check_reference(JsonLdProcessor._expand_iri(self, active_ctx, v, base=None), v)
            elif expanded == "@type" and type_scoped_ctx is not None:
                for v in JsonLdProcessor.arrayify(value):
                    if isinstance(v, str):
                        self._check_vocab_value(type_scoped_ctx, v, "type")
        return super()._expand_object(
            active_ctx,
            active_property,
            expanded_active_property,
            element,
            expanded_parent,
            options,
            inside_list,
            type_key,
            type_scoped_ctx,
        )

    def _expand_value(self, active_ctx: Any, active_property: Any, value: Any, options: dict[str, Any]) -> Any:
        result = super()._expand_value(active_ctx, active_property, value, options)
        if isinstance(value, str) and isinstance(result, dict) and "@id" in result:
            coercion = JsonLdProcessor.get_context_value(active_ctx, active_property, "@type")
            if coercion == "@vocab":
                self._check_vocab_value(active_ctx, value, f"value of {active_property!r}")
            else:
                self._check_reference(result["@id"], value)
        return result

    def _is_vocab_fallback(self, active_ctx: Any, term: str) -> bool:
        return not self._allow_vocab and ":" not in term and term not in active_ctx["mappings"]

    def _check_vocab_value(self, active_ctx: Any, value: str, what: str) -> None:
        expanded = JsonLdProcessor._expand_iri(self, active_ctx, value, vocab=True, base=None)
        if expanded is None or not (_is_absolute_iri(expanded) or expanded.startswith("_:")):
            self._violation(f"{what} {value!r} is not defined by the credential's contexts")
        elif self._is_vocab_fallback(active_ctx, value):
            self._violation(f"{what} {value!r} is not defined by the credential's contexts")

    def _check_reference(self, expanded: str | None, value: str) -> None:
        if expanded is None or not (_is_absolute_iri(expanded) or expanded.startswith("_:")):
            self._violation(f"identifier {value!r} is not an absolute IRI")

    def _violation(self, message: str) -> None:
        if not self._in_context:
            self.violations.append(message)


class _SharedState:
    """Caches shared by every canonicalization that uses one loader."""

    def __init__(self, loader: PinnedLoader) -> None:
        self.loader = loader
        self.resolved: dict[str, Any] = {}
        self.memo: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.iri_cache: dict[tuple[Any, ...], str | None] = {}
        self._pinned_objects: dict[int, Any] = {}
        self._labels = itertools.count(1)
        self._lock = threading.Lock()

    @staticmethod
    def label_of(active_ctx: Any) -> Any:
        if isinstance(active_ctx, frozendict):
            # pyld's initial context: one frozen singleton per processing mode.
            return ("initial", active_ctx["_uuid"])
        return active_ctx.get(_ACTIVE_CONTEXT_LABEL)

    def new_label(self) -> int:
        with self._lock:
            return next(self._labels)

    def load(self, url: str, options: Any = None) -> dict[str, Any]:
        remote = self.loader(url, options)
        self._register(remote["document"])
        return remote

    def _register(self, node: Any) -> None:
        # Remember every object inside a pinned context (and keep it alive, so its id stays unique):
        # only these are safe to memoize on, since nothing ever mutates them.
        if isinstance(node, dict):
            self._pinned_objects[id(node)] = node
            for value in node.values():
                self._register(value)
        elif isinstance(node, list):
            for value in node:
                self._register(value)

    def local_key(self, local_ctx: Any) -> Any:
        if isinstance(local_ctx, str):
            return local_ctx
        if isinstance(local_ctx, dict):
            return ("obj", id(local_ctx)) if self._pinned_objects.get(id(local_ctx)) is local_ctx else None
        if isinstance(local_ctx, list):
            keys = tuple(self.local_key(item) for item in local_ctx)
            return None if any(k is None for k in keys) else ("list", keys)
        return None
