"""A fast JSON-LD -> RDF path for the JSON-LD that credentials use, falling back to pyld for anything else.

``Canonicalizer.to_quads`` first tries ``FastRdf.quads``: it walks the document once and emits the dataset's
quads directly, skipping pyld's expanded document and node map. It covers the subset of JSON-LD 1.1 that
Verifiable Credentials and Open Badges use, and nothing more:

* ``@context`` given as pinned context URLs (a string or an array of strings), at the top or on a node;
  property-scoped contexts and type-scoped contexts (applied in the order of the type terms, reverted on
  entering a nested node object unless it is a subject reference), exactly as pyld applies them. The
  active contexts ARE pyld's: they come from the memoized ``_CachingProcessor._process_context``, so term
  definitions, protection and propagation are never re-implemented here.
* keys that are terms, compact IRIs or absolute IRIs, ``@id``/``@type`` and their aliases;
* string, number and boolean values, coerced to ``@id``/``@vocab``/a datatype or left native;
* nested node objects (merged by ``@id`` as the dataset is a set), ``@set``, ``@list`` (RDF collections)
  and ``@graph`` containers (each value in a fresh blank-node named graph);
* blank node identifiers written in the document (relabelled consistently);
* the raw JSON: numbers are read as ``canon._prepare_json`` reads them (4.0 is the integer 4), and whatever
  it would refuse (NaN, integers beyond 2**53, unpaired surrogates, non-JSON types) is declined, so the
  fallback reports it.

Anything else - ``@value``/``@list``/``@set`` objects, ``@language`` (default or per term), ``@direction``,
``@json``, ``@reverse``, ``@nest``, ``@included``, ``@graph`` keys, index/id/type/language maps, inline
contexts, blank-node types or predicates, and every case where safe mode would complain (an undefined term,
a relative IRI, an ``@vocab`` fallback that is not allowed) - raises ``_Unsupported``; the caller then runs
pyld, which produces the same dataset or the proper error. The rule is: when in doubt, fall back.

The output is the same SET of quads as the pyld path modulo blank node labels, with duplicates removed.
Where pyld would emit two distinct JSON-LD values that serialize to the same RDF term (``"1"`` typed
``xsd:integer`` next to the number 1, say), this path falls back rather than guess which behaviour to copy.
``tests/vc/test_canon_fast_path.py`` compares both paths byte for byte after RDFC-1.0 over many documents.

A large node object with an id that comes back unchanged from document to document (an award's achievement,
with its rubric) is converted once and its quads replayed afterwards (``FastRdf._remembered``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from enum import Enum
from typing import TYPE_CHECKING, Any, Final

from pyld.context_resolver import ContextResolver
from pyld.jsonld import _canonicalize_double, _is_keyword

from ._jsonld_base import (
    _NOT_IN_IRI,
    MAX_SAFE_INTEGER,
    XSD_STRING,
    _CachingProcessor,
    _is_absolute_iri_str,
    escape_literal,
)

if TYPE_CHECKING:  # the canonicalizer owns a FastRdf: only its type is named here
    from ._jsonld_base import Quad
    from .canon import Canonicalizer

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDF_TYPE = RDF + "type"
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
XSD_DOUBLE = "http://www.w3.org/2001/XMLSchema#double"
XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"

_RDF_TYPE_TERM = f"<{RDF_TYPE}>"
_RDF_FIRST_TERM = f"<{RDF}first>"
_RDF_REST_TERM = f"<{RDF}rest>"
_RDF_NIL_TERM = f"<{RDF}nil>"

_KEYWORD_LIKE = re.compile(r"^@[a-zA-Z]+$")  # pyld's KEYWORD_PATTERN: reserved, expands to null
_CACHE_LIMIT = 50_000  # per active context; a hostile document can invent keys (with allow_vocab)
_SUBTREE_MIN_CHARS = 1024  # a node object's JSON below this is converted, not looked up (FastRdf._remembered)
_SUBTREE_LIMIT = 256  # remembered subtrees; all forgotten when full (an achievement's quads are ~20 KB)

# Key plans: what a key means in one active context.
_BAD, _ID, _TYPE, _CONTEXT, _PROP = range(5)
# Containers.
_C_NONE, _C_GRAPH, _C_LIST = range(3)
# Value coercions.
_V_PLAIN, _V_ID, _V_VOCAB, _V_DATATYPE = range(4)

class _Missing(Enum):
    """A ``dict.get`` default no cached value equals (``None`` is a cached answer: "no term")."""

    MISSING = 0


_MISSING: Final = _Missing.MISSING
_INFINITY = float("inf")


class _Unsupported(Exception):
    """The document uses JSON-LD outside the fast path's subset (or something doubtful): use pyld."""


def _text(value: str) -> str:
    """A string from the document, refused if ``_prepare_json`` would refuse it (an unpaired surrogate)."""
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _Unsupported from None
    return value


def _raw_expand_vocab(ctx: Mapping[str, Any], value: str) -> tuple[Any, bool]:
    """pyld's ``_expand_iri(ctx, value, vocab=True)`` (no local context); also says if @vocab was used."""
    if _is_keyword(value):
        return value, False
    if _KEYWORD_LIKE.match(value):
        return None, False
    mappings = ctx["mappings"]
    if value in mappings:
        mapping = mappings[value]
        return (None if mapping is None else mapping["@id"]), False
    expanded = _expand_prefixed(mappings, value)
    if expanded is not None:
        return expanded, False
    if "@vocab" in ctx:
        vocab = ctx["@vocab"]
        if not isinstance(vocab, str):
            raise _Unsupported
        return vocab + value, True
    return value, False


def _expand_prefixed(mappings: Mapping[str, Any], value: str) -> str | None:
    """The compact-IRI / absolute-IRI / blank-node step of pyld's ``_expand_iri``; None when it does not apply."""
    colon = value.find(":")
    if colon > 0:
        prefix = value[:colon]
        suffix = value[colon + 1 :]
        if prefix == "_" or suffix.startswith("//"):
            return value
        mapping = mappings.get(prefix)
        if mapping and mapping.get("_prefix"):
            prefix_iri: str = mapping["@id"]
            return prefix_iri + suffix
        if _is_absolute_iri_str(value):
            return value
    return None


def _expand_reference(ctx: Mapping[str, Any], value: str) -> str:
    """pyld's ``_expand_iri(ctx, value, base=None)`` for ``@id`` values; only absolute IRIs and blank nodes pass."""
    _text(value)
    if _is_keyword(value) or _KEYWORD_LIKE.match(value):
        raise _Unsupported
    expanded = _expand_prefixed(ctx["mappings"], value)
    if expanded is None or not _is_absolute_iri_str(expanded):
        raise _Unsupported  # relative: safe mode rejects it on the pyld path
    return expanded


def _iri_term(iri: str) -> str:
    if _NOT_IN_IRI.search(iri):
        raise _Unsupported
    return "<" + iri + ">"


def _container_kind(mapping: Mapping[str, Any] | None) -> int:
    if mapping is None:
        return _C_NONE
    container = mapping.get("@container")
    if not container:
        return _C_NONE
    kinds = set(container) if isinstance(container, list) else {container}
    kinds.discard("@set")
    if not kinds:
        return _C_NONE
    if kinds == {"@graph"}:
        return _C_GRAPH
    if kinds == {"@list"}:
        return _C_LIST
    raise _Unsupported  # @index, @id, @type, @language maps and combinations


class _Document:
    """Per-document state: the quads (quad -> identity of the JSON-LD value that produced it) and blank nodes."""

    __slots__ = ("quads", "blank", "counter")

    def __init__(self) -> None:
        self.quads: dict[tuple[str, str, str, str], Any] = {}
        self.blank: dict[str, str] = {}
        self.counter = 0

    def fresh(self) -> str:
        label = f"_:f{self.counter}"
        self.counter += 1
        return label

    def reference(self, iri: str) -> str:
        """The term for an expanded @id: a (relabelled) blank node or an IRI."""
        if iri.startswith("_:"):
            label = self.blank.get(iri)
            if label is None:
                label = self.blank[iri] = self.fresh()
            return label
        return _iri_term(iri)

    def add(self, s: str, p: str, o: str, g: str, identity: Any = None) -> None:
        quad = (s, p, o, g)
        previous = self.quads.setdefault(quad, identity)
        if previous is not identity and previous != identity:
            # pyld keeps both values (they differ as JSON-LD values) and emits the quad twice.
            raise _Unsupported


class _ContextCache:
    """What keys, types and values mean in one (immutable) active context."""

    __slots__ = ("plans", "values", "types")

    def __init__(self) -> None:
        self.plans: dict[str, tuple[Any, ...]] = {}
        self.values: dict[str, tuple[Any, ...]] = {}
        self.types: dict[str, str | None] = {}


class FastRdf:
    """Direct JSON-LD -> quads for one ``Canonicalizer`` (shares its pinned-context caches)."""

    def __init__(self, canonicalizer: Canonicalizer) -> None:
        self._shared = canonicalizer._shared  # noqa: SLF001 - same package, same caches
        self._allow_vocab = canonicalizer._allow_vocab  # noqa: SLF001
        self._resolver_cache = canonicalizer._resolver_cache  # noqa: SLF001
        self._caches: dict[Any, _ContextCache] = {}
        # Identity-keyed shortcuts in front of the label-keyed caches; each entry holds its keys alive.
        self._cache_by_id: dict[int, tuple[Any, _ContextCache]] = {}
        self._scoped_by_id: dict[tuple[Any, ...], tuple[Any, Any, Any]] = {}
        processor = _CachingProcessor(self._shared, self._allow_vocab)
        self._initial = processor._get_initial_context({"processingMode": "json-ld-1.1"})  # noqa: SLF001
        self._subtrees: dict[tuple[int, str, str], tuple[Any, str, list[tuple[tuple[str, str, str, str], Any]]]] = {}
        self.hits = 0
        self.fallbacks = 0
        self.subtree_hits = 0

    # --- entry point ---------------------------------------------------------------------------------

    def quads(self, document: Mapping[str, Any]) -> list[Quad] | None:
        """The dataset of a JSON document, or None when pyld must handle it.

        The document need not go through ``_prepare_json`` first: the walk reads numbers the same way
        and declines whatever ``_prepare_json`` would refuse (the fallback then reports it).
        """
        try:
            state = _Document()
            if not isinstance(document, dict):
                raise _Unsupported
            self._node(state, self._initial, None, document, "")
        except Exception:  # _Unsupported, or anything unforeseen (deep nesting, ...): pyld is the reference
            self.fallbacks += 1
            return None
        self.hits += 1
        return list(state.quads)

    # --- contexts ------------------------------------------------------------------------------------

    def _process(self, ctx: Any, local: Any, *, override_protected: bool = False, propagate: bool = True) -> Any:
        shared = self._shared
        label = shared.label_of(ctx)
        local_key = shared.local_key(local)
        if label is None or local_key is None:
            raise _Unsupported  # only pinned contexts are memoized, and only they take the fast path
        hit = shared.memo.get((label, local_key, override_protected, propagate, True))
        if hit is not None:
            return hit
        processor = _CachingProcessor(shared, self._allow_vocab)
        options = {
            "base": None,
            "documentLoader": shared.load,
            "contextResolver": ContextResolver(self._resolver_cache, shared.load),
            "processingMode": "json-ld-1.1",
            "extractAllScripts": True,
            "produceGeneralizedRdf": False,
            "isFrame": False,
            "keepFreeFloatingNodes": False,
        }
        try:
            return processor._process_context(  # noqa: SLF001
                ctx, local, options, override_protected=override_protected, propagate=propagate
            )
        except Exception:  # any context error: the pyld path reports it properly
            raise _Unsupported from None

    def _apply_scoped(self, ctx: Any, scoped: Any, *, type_scoped: bool = False) -> Any:
        """A scoped context from a term definition, applied as pyld does: property-scoped ones with
        override_protected (and propagating), type-scoped ones without, and not propagating. ``scoped``
        belongs to a pinned context, so it never changes."""
        if scoped is False:
            # "@context": null resets to the initial context (VC v2's verifiableCredential). Type-scoped
            # null contexts are never applied by pyld; callers skip them.
            return self._initial
        key = (id(ctx), id(scoped), type_scoped)
        entry = self._scoped_by_id.get(key)
        if entry is not None and entry[0] is ctx and entry[1] is scoped:
            return entry[2]
        result = self._process(ctx, scoped, override_protected=not type_scoped, propagate=not type_scoped)
        if len(self._scoped_by_id) < _CACHE_LIMIT:
            self._scoped_by_id[key] = (ctx, scoped, result)
        return result

    def _cache(self, ctx: Any) -> _ContextCache:
        entry = self._cache_by_id.get(id(ctx))
        if entry is not None and entry[0] is ctx:
            return entry[1]
        cache = self._labelled_cache(ctx)
        if len(self._cache_by_id) < _CACHE_LIMIT:
            self._cache_by_id[id(ctx)] = (ctx, cache)
        return cache

    def _labelled_cache(self, ctx: Any) -> _ContextCache:
        label = self._shared.label_of(ctx)
        if label is None:
            return _ContextCache()  # unlabelled (never expected): correct, just not cached
        cache = self._caches.get(label)
        if cache is None:
            if len(self._caches) >= _CACHE_LIMIT:
                return _ContextCache()
            cache = self._caches[label] = _ContextCache()
        return cache

    def _plan(self, ctx: Any, cache: _ContextCache, key: str) -> tuple[Any, ...]:
        plan = cache.plans.get(key)
        if plan is None:
            plan = self._make_plan(ctx, key)
            if len(cache.plans) < _CACHE_LIMIT:
                cache.plans[key] = plan
        return plan

    def _make_plan(self, ctx: Any, key: Any) -> tuple[Any, ...]:
        """(kind, raw expansion, predicate term, scoped context, container) for ``key`` in ``ctx``."""
        if not isinstance(key, str):
            return (_BAD, None)
        try:
            _text(key)
        except _Unsupported:
            return (_BAD, None)
        expanded, used_vocab = _raw_expand_vocab(ctx, key)
        if not self._allow_vocab and ":" not in key and not _is_keyword(key) and key not in ctx["mappings"]:
            # Safe mode's "undefined term" test, exactly.
            return (_BAD, expanded)
        if expanded == "@id":
            return (_ID, expanded)
        if expanded == "@type":
            return (_TYPE, expanded)
        if expanded == "@context":
            return (_CONTEXT, expanded)
        if expanded is None or _is_keyword(expanded):
            return (_BAD, expanded)
        if not _is_absolute_iri_str(expanded) or expanded.startswith("_:"):
            return (_BAD, expanded)  # dropped (or a blank-node predicate) by pyld; safe mode may not notice
        if used_vocab and (not self._allow_vocab or ":" in key):
            return (_BAD, expanded)
        if expanded == RDF_TYPE:
            return (_BAD, expanded)  # would sit next to @type values in pyld's node map: not worth the risk
        mapping = ctx["mappings"].get(key)
        try:
            container = _container_kind(mapping)
            predicate = _iri_term(expanded)
        except _Unsupported:
            return (_BAD, expanded)
        scoped = None
        if mapping is not None:
            if mapping.get("reverse") or mapping.get("@type") == "@json":
                return (_BAD, expanded)
            scoped = mapping.get("@context")
            if scoped is not None and scoped is not False and not isinstance(scoped, (str, dict, list)):
                return (_BAD, expanded)
        return (_PROP, expanded, predicate, scoped, container)

    def _value_plan(
        self, term_ctx: Any, key: str, plan: tuple[Any, ...], cache: _ContextCache
    ) -> tuple[Any, ...]:
        """(coercion, datatype or None, plain strings allowed) for values of ``key`` expanded in ``term_ctx``."""
        vplan = cache.values.get(key)
        if vplan is None:
            vplan = self._make_value_plan(term_ctx, key)
            if len(cache.values) < _CACHE_LIMIT:
                cache.values[key] = vplan
        # The term must mean the same in the property-scoped context as where the key was read.
        if vplan[0] is None or vplan[3] != plan[1] or vplan[4] != plan[4]:
            raise _Unsupported
        return vplan

    def _make_value_plan(self, term_ctx: Any, key: str) -> tuple[Any, ...]:
        bad = (None,)
        expanded, _ = _raw_expand_vocab(term_ctx, key)
        mapping = term_ctx["mappings"].get(key)
        try:
            container = _container_kind(mapping)
        except _Unsupported:
            return bad
        coercion = None
        if mapping is not None:
            if mapping.get("reverse"):
                return bad
            coercion = mapping.get("@type")
        language = term_ctx.get("@language")
        direction = term_ctx.get("@direction")
        if mapping is not None:
            language = mapping.get("@language", language)
            direction = mapping.get("@direction", direction)
        plain_ok = language is None and direction is None
        if coercion == "@id":
            return (_V_ID, None, plain_ok, expanded, container)
        if coercion == "@vocab":
            return (_V_VOCAB, None, plain_ok, expanded, container)
        if coercion is None or coercion == "@none":
            return (_V_PLAIN, None, plain_ok, expanded, container)
        if coercion == "@json" or not isinstance(coercion, str) or _is_keyword(coercion):
            return bad
        if not _is_absolute_iri_str(coercion) or coercion.startswith("_:") or _NOT_IN_IRI.search(coercion):
            return bad
        return (_V_DATATYPE, coercion, plain_ok, expanded, container)

    def _type_term(self, type_ctx: Any, value: Any) -> str:
        if not isinstance(value, str):
            raise _Unsupported
        _text(value)
        cache = self._cache(type_ctx)
        term = cache.types.get(value, _MISSING)
        if term is _MISSING:
            term = None
            expanded, used_vocab = _raw_expand_vocab(type_ctx, value)
            if (
                isinstance(expanded, str)
                and not _is_keyword(expanded)
                and _is_absolute_iri_str(expanded)
                and not expanded.startswith("_:")
                and not (used_vocab and (not self._allow_vocab or ":" in value))
                and not _NOT_IN_IRI.search(expanded)
            ):
                term = "<" + expanded + ">"
            if len(cache.types) < _CACHE_LIMIT:
                cache.types[value] = term
        if term is None:
            raise _Unsupported
        return term

    # --- expansion + RDF -----------------------------------------------------------------------------

    def _node(
        self, state: _Document, ctx: Any, active_property: str | None, element: dict[str, Any], graph: str
    ) -> str:
        """pyld ``_expand`` of a node object reached through ``active_property`` (a term of ``ctx``), with its
        node-map and RDF conversion fused in. Returns the node's subject term."""
        # Property-scoped context of the property that led here (looked up before any revert).
        scoped = None
        if active_property is not None:
            mapping = ctx["mappings"].get(active_property)
            if mapping is not None:
                scoped = mapping.get("@context")
        # A type-scoped context does not propagate into nested node objects, except subject references.
        previous = ctx.get("previousContext")
        if previous:
            revert = True
            if len(element) <= 2 and "@context" not in element:
                cache = self._cache(ctx)
                for key in sorted(element):
                    plan = self._plan(ctx, cache, key)
                    if plan[1] == "@value":
                        raise _Unsupported
                    if plan[1] == "@id" and len(element) == 1:
                        revert = False
                        break
            if revert:
                ctx = previous
        if scoped is not None:
            ctx = self._apply_scoped(ctx, scoped)
        if "@context" in element:
            local = element["@context"]
            if not (isinstance(local, str) or (isinstance(local, list) and local and all(isinstance(x, str) for x in local))):
                raise _Unsupported  # inline or null contexts: pyld
            ctx = self._process(ctx, local)

        # Type-scoped contexts, in the order of the type terms, looked up in the context before them.
        type_ctx = ctx
        type_key = None
        cache = self._cache(ctx)
        known = cache.plans
        entries = []
        for key, value in element.items():
            if key == "@context":
                continue
            plan = known.get(key) or self._plan(ctx, cache, key)
            entries.append((key, plan, value))
            if plan[0] == _TYPE:
                if type_key is not None:
                    raise _Unsupported  # two @type keys: pyld merges them
                type_key = key
        if type_key is not None:
            types = element[type_key]
            if isinstance(types, str):
                type_list = [types]
            elif isinstance(types, list) and all(isinstance(t, str) for t in types):
                type_list = types
            else:
                raise _Unsupported
            mappings = type_ctx["mappings"]
            for t in sorted(type_list):
                mapping = mappings.get(t)
                if mapping is not None:
                    local = mapping.get("@context")
                    if local is not None and local is not False:
                        ctx = self._apply_scoped(ctx, local, type_scoped=True)
            if ctx is not type_ctx:
                # Keys mean what the final active context says.
                cache = self._cache(ctx)
                known = cache.plans
                entries = [(key, known.get(key) or self._plan(ctx, cache, key), value) for key, _, value in entries]

        # Keys in the final active context.
        subject = None
        seen_type = False
        properties = []
        for entry in entries:
            key, plan, value = entry
            kind = plan[0]
            if kind == _PROP:
                properties.append(entry)
            elif kind == _ID:
                if subject is not None or not isinstance(value, str):
                    raise _Unsupported
                subject = state.reference(_expand_reference(ctx, value))
            elif kind == _TYPE:
                if key != type_key:
                    raise _Unsupported
                seen_type = True
            else:
                raise _Unsupported
        if type_key is not None and not seen_type:
            raise _Unsupported  # a type-scoped context re-defined the type key itself
        if subject is None:
            subject = state.fresh()

        if type_key is not None:
            for t in type_list:
                state.add(subject, _RDF_TYPE_TERM, self._type_term(type_ctx, t), graph)

        for key, plan, value in properties:
            _, _, predicate, scoped, container = plan
            if scoped is None:
                term_ctx, term_cache = ctx, cache
            else:
                term_ctx = self._apply_scoped(ctx, scoped)
                term_cache = self._cache(term_ctx)
            if value is None:
                continue
            if container == _C_GRAPH:
                for item in _flatten(value):
                    if not isinstance(item, dict):
                        raise _Unsupported  # a string or number becomes an empty graph: leave that to pyld
                    name = state.fresh()
                    state.add(subject, predicate, name, graph)
                    self._node(state, term_ctx, key, item, name)
                continue
            vplan = self._value_plan(term_ctx, key, plan, term_cache)
            if container == _C_NONE:
                if isinstance(value, list):
                    for item in _flatten(value):
                        obj, identity = self._object(state, term_ctx, key, vplan, item, graph)
                        state.add(subject, predicate, obj, graph, identity)
                else:
                    obj, identity = self._object(state, term_ctx, key, vplan, value, graph)
                    state.add(subject, predicate, obj, graph, identity)
            else:
                items = value if isinstance(value, list) else [value]
                objects = []
                for item in items:
                    if item is None:
                        continue
                    if isinstance(item, list):
                        raise _Unsupported  # list of lists
                    objects.append(self._object(state, term_ctx, key, vplan, item, graph)[0])
                head = _RDF_NIL_TERM
                for obj in reversed(objects):
                    node = state.fresh()
                    state.add(node, _RDF_FIRST_TERM, obj, graph)
                    state.add(node, _RDF_REST_TERM, head, graph)
                    head = node
                state.add(subject, predicate, head, graph)
        return subject

    def _object(
        self, state: _Document, term_ctx: Any, key: str, vplan: tuple[Any, ...], value: Any, graph: str
    ) -> tuple[str, Any]:
        """The object term for one (non-array, non-null) value of ``key``, and its JSON-LD identity."""
        if isinstance(value, dict):
            if graph == "" and len(value) >= 6 and ("id" in value or "@id" in value):
                return self._remembered(state, term_ctx, key, value), None
            return self._node(state, term_ctx, key, value, graph), None
        coercion, datatype, plain_ok = vplan[0], vplan[1], vplan[2]
        if isinstance(value, str):
            _text(value)
            if coercion == _V_ID:
                return state.reference(_expand_reference(term_ctx, value)), None
            if coercion == _V_VOCAB:
                expanded, used_vocab = _raw_expand_vocab(term_ctx, value)
                if (
                    not isinstance(expanded, str)
                    or _is_keyword(expanded)
                    or not _is_absolute_iri_str(expanded)
                    or (used_vocab and (not self._allow_vocab or ":" in value))
                ):
                    raise _Unsupported
                return state.reference(expanded), None
            if coercion == _V_DATATYPE:
                if datatype == XSD_DOUBLE:
                    raise _Unsupported  # pyld re-reads such strings with float(): not the spec
                literal = '"' + escape_literal(value) + '"'
                if datatype != XSD_STRING:
                    literal += "^^<" + datatype + ">"
                return literal, (str, value, datatype)
            if not plain_ok:
                raise _Unsupported  # language-tagged or directional strings
            return '"' + escape_literal(value) + '"', (str, value, None)
        coerced = datatype if coercion == _V_DATATYPE else None
        datatype = coerced
        if value is True or value is False:
            lexical = "true" if value else "false"
            default = XSD_BOOLEAN
        elif isinstance(value, float) and not (value.is_integer() and abs(value) < 1e21):
            # Non-integral, or integral and >= 1e21 (JSON-LD's integer bound): a double either way.
            if value != value or value in (_INFINITY, -_INFINITY):
                raise _Unsupported  # not JSON: _prepare_json reports it
            lexical = _canonicalize_double(value)
            default = XSD_DOUBLE
        elif isinstance(value, (int, float)):
            # An integral float (4.0, 1e20) is the integer JSON-LD (and JavaScript) read, as in _prepare_json,
            # which refuses integers beyond 2**53 only when they are written as integers.
            if not isinstance(value, float) and abs(value) > MAX_SAFE_INTEGER:
                raise _Unsupported
            value = int(value)
            if datatype == XSD_DOUBLE:
                lexical = _canonicalize_double(float(value))
            else:
                lexical = str(value)
            default = XSD_INTEGER
        else:
            raise _Unsupported  # not a JSON value
        datatype = datatype or default
        # Lexical forms of numbers and booleans need no escaping.
        literal = '"' + lexical + '"' if datatype == XSD_STRING else '"' + lexical + '"^^<' + datatype + ">"
        # pyld's node map keeps two values apart unless @value (strictly), @type (as expanded) are equal.
        return literal, (type(value), value, coerced)


    def _remembered(self, state: _Document, ctx: Any, key: str, value: dict[str, Any]) -> str:
        """``_node`` of a large node object with an id, its quads remembered by its exact JSON text, the active
        context and the property that led to it: what else the conversion depends on.

        Credentials of one achievement repeat it whole in every award (its rubric is half the quads of an
        award), and a bulk award or a verifier meets it again and again. Replayed quads get fresh blank node
        labels in ``state`` and go through ``state.add`` with their identities, so the dataset, its duplicate
        checks and the canonical form are exactly those of converting the subtree again. A subtree that names
        a blank node itself (``_:`` anywhere in its text) could share it with the rest of the document: it is
        converted as usual, as is a small one (the key costs more than it saves)."""
        try:
            text = json.dumps(value, ensure_ascii=False)
        except (TypeError, ValueError):
            raise _Unsupported from None
        if len(text) < _SUBTREE_MIN_CHARS or "_:" in text:
            return self._node(state, ctx, key, value, "")
        memo_key = (id(ctx), key, text)
        entry = self._subtrees.get(memo_key)
        if entry is None or entry[0] is not ctx:
            recorded = _Document()
            subject = self._node(recorded, ctx, key, value, "")
            entry = (ctx, subject, list(recorded.quads.items()))
            if len(self._subtrees) >= _SUBTREE_LIMIT:
                self._subtrees.clear()
            self._subtrees[memo_key] = entry
        else:
            self.subtree_hits += 1
        labels: dict[str, str] = {}

        def term(t: str) -> str:
            if not t.startswith("_:"):
                return t
            label = labels.get(t)
            if label is None:
                label = labels[t] = state.fresh()
            return label

        for (s, p, o, g), identity in entry[2]:
            state.add(term(s), p, term(o), term(g) if g else g, identity)
        return term(entry[1])


def _flatten(value: Any) -> Iterator[Any]:
    """The non-null leaves of a value (arrays flatten into their parent, as in expansion)."""
    if isinstance(value, list):
        for item in value:
            if isinstance(item, list):
                yield from _flatten(item)
            elif item is not None:
                yield item
    elif value is not None:
        yield value


def fast_quads(canonicalizer: Canonicalizer, document: Mapping[str, Any]) -> list[Quad] | None:
    """The fast path's dataset for ``document``, or None when ``canonicalizer`` would fall back to pyld."""
    return canonicalizer._fast.quads(document)  # noqa: SLF001
