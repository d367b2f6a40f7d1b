"""RDF Dataset Canonicalization (RDFC-1.0) of JSON-LD documents, in safe mode, from pinned contexts.

The pipeline is: JSON pre-pass (numbers) -> JSON-LD expansion and RDF conversion with pyld -> our own
RDFC-1.0 labelling and canonical N-Quads serialization.

Why not pyld end to end:

* **Escaping.** pyld's N-Quads writer escapes only tab, newline, return, quote and backslash. Canonical
  N-Quads (RDFC-1.0 §4, RDF 1.2 N-Quads "canonical form") escapes U+0008 as ``\\b``, U+000C as ``\\f``,
  and the other C0 controls and U+007F as ``\\u00XX``. A literal with such a character would hash
  differently here than in other implementations, so the serializer (and therefore the blank node hashes,
  which are computed over serialized quads) is ours.
* **Numbers.** JSON-LD 1.1 (§8.6 Object to RDF) makes a number with no fractional part an ``xsd:integer``;
  Python's ``json`` reads ``4.0`` as a float and pyld would emit ``"4.0E0"^^xsd:double``. The pre-pass turns
  integral floats into ints, and refuses integers beyond 2**53, which JavaScript implementations would read
  as different numbers.
* **Safe mode.** pyld silently drops properties whose terms are undefined and keeps relative IRIs (then
  drops them, or resolves them against a made-up base). Every such event is an error here: a credential
  must never be signed with data that its signature does not cover.
* **Speed.** Type-scoped contexts (OB 3.0 defines one per class) are re-processed by pyld for every node of
  every document, because each application starts from a fresh clone of the active context. Active contexts
  are immutable once processed, so ``_CachingProcessor`` labels each one and memoizes
  ``(active context, pinned local context, flags) -> processed context``. Only contexts from the pinned
  documents are memoized (their objects never change); a document's own inline contexts are processed
  afresh each time. ``tests/vc/test_canon_fast_path.py`` checks the output is byte-identical to pyld's over many
  varied documents.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Mapping
from typing import Any

from pyld.context_resolver import ContextResolver
from pyld.jsonld import JsonLdError

from ._fast_rdf import FastRdf
from ._jsonld_base import (
    MAX_SAFE_INTEGER,
    XSD_STRING,
    Quad,
    _CachingProcessor,
    _check_iri,
    _SharedState,
    escape_literal,
)
from .contexts import PINNED_LOADER, PinnedLoader
from .errors import CanonicalizationError, ContextError


def _prepare_json(value: Any, path: str = "$") -> Any:
    """Check the document is JSON and read numbers the way JSON-LD 1.1 and JavaScript do.

    Returns ``value`` itself when nothing changes (pyld deep-copies its input anyway), else a copy of
    the changed branches only.
    """
    if isinstance(value, dict):
        changed = None
        for k, v in value.items():
            if not isinstance(k, str):
                raise CanonicalizationError(f"{path}: object keys must be strings")
            new = _prepare_json(v, f"{path}.{k}")
            if new is not v:
                if changed is None:
                    changed = dict(value)
                changed[k] = new
        return value if changed is None else changed
    if isinstance(value, list):
        items = [_prepare_json(v, f"{path}[{i}]") for i, v in enumerate(value)]
        return value if all(a is b for a, b in zip(items, value)) else items
    if isinstance(value, str):
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise CanonicalizationError(f"{path}: string contains an unpaired surrogate") from None
        return value
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise CanonicalizationError(
                f"{path}: integer {value} is beyond 2**53 and would be read differently by other implementations"
            )
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise CanonicalizationError(f"{path}: NaN and infinity are not JSON numbers")
        if value.is_integer() and abs(value) < 1e21:
            return int(value)
        return value
    raise CanonicalizationError(f"{path}: {type(value).__name__} is not a JSON value")


def _term(node: Mapping[str, Any]) -> str:
    kind = node["type"]
    value: str = node["value"]
    if kind == "IRI":
        return "<" + _check_iri(value) + ">"
    if kind == "blank node":
        return value
    literal = '"' + escape_literal(value) + '"'
    language: str | None = node.get("language")
    datatype = node.get("datatype")
    if language:
        return literal + "@" + language
    if datatype and datatype != XSD_STRING:
        return literal + "^^<" + _check_iri(datatype) + ">"
    return literal


def _serialize(quad: Quad) -> str:
    s, p, o, g = quad
    if g:
        return f"{s} {p} {o} {g} .\n"
    return f"{s} {p} {o} .\n"


class Canonicalizer:
    """Canonicalizes JSON-LD documents to RDFC-1.0 N-Quads, using only the loader's pinned contexts.

    ``allow_vocab`` lets a context's ``@vocab`` define terms implicitly; it is off by default (undefined terms
    are errors) and exists for the W3C test vectors, whose example context is built on ``@vocab``.
    ``max_work`` bounds the blank-node hashing of RDFC-1.0 so a crafted document cannot take unbounded time.
    """

    def __init__(self, loader: PinnedLoader = PINNED_LOADER, *, allow_vocab: bool = False, max_work: int = 10_000):
        self._shared = _SharedState(loader)
        self._allow_vocab = allow_vocab
        self._max_work = max_work
        self._resolver_cache: dict[str, Any] = _UnboundedCache()
        self._fast = FastRdf(self)

    def to_quads(self, document: Mapping[str, Any]) -> list[Quad]:
        """The RDF dataset of ``document`` as serialized terms (blank node labels are arbitrary).

        Credential-shaped JSON-LD takes a direct path (``_fast_rdf``); anything else, and every document
        the direct path has doubts about, goes through pyld, which also reports safe-mode errors.
        """
        if not isinstance(document, Mapping):
            raise CanonicalizationError("a JSON-LD document must be a JSON object")
        quads = self._fast.quads(document)
        if quads is not None:
            return quads
        return self._pyld_quads(_prepare_json(document))

    def _pyld_quads(self, prepared: Any) -> list[Quad]:
        """The dataset of a ``_prepare_json``-ed document through pyld, blank nodes as pyld labelled them."""
        processor = _CachingProcessor(self._shared, self._allow_vocab)
        options = {
            "base": None,
            "documentLoader": self._shared.load,
            "contextResolver": ContextResolver(self._resolver_cache, self._shared.load),
            "processingMode": "json-ld-1.1",
            "extractAllScripts": True,
            "produceGeneralizedRdf": False,
        }
        try:
            dataset = processor.to_rdf(prepared, options)
        except JsonLdError as exc:
            raise CanonicalizationError(_jsonld_message(exc)) from None
        except KeyError as exc:
            # pyld deletes the vocabulary mapping for "@vocab": null without checking that there is one (a
            # KeyError, not a JsonLdError). Refused as unreadable input rather than crashing the caller.
            if exc.args != ("@vocab",):
                raise
            raise CanonicalizationError('"@vocab": null where no vocabulary mapping is active cannot be '
                                        "processed") from None
        if processor.violations:
            unique = list(dict.fromkeys(processor.violations))
            raise CanonicalizationError("; ".join(unique))
        quads: list[Quad] = []
        for graph_name, triples in dataset.items():
            g = "" if graph_name == "@default" else (graph_name if graph_name.startswith("_:") else f"<{_check_iri(graph_name)}>")
            for t in triples:
                quads.append((_term(t["subject"]), _term(t["predicate"]), _term(t["object"]), g))
        return quads

    def canonicalize(self, document: Mapping[str, Any]) -> str:
        """RDFC-1.0 canonical N-Quads of a JSON-LD document (raises CanonicalizationError)."""
        return canonicalize_quads(self.to_quads(document), max_work=self._max_work)


class _UnboundedCache(dict[str, Any]):
    """pyld's resolver expects an LRU; pinned contexts are few and must stay alive, so a dict does."""


def _jsonld_message(exc: JsonLdError) -> str:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ContextError):
            return str(cause)
        cause = cause.__cause__ or cause.__context__
    innermost = exc
    cause = exc
    while isinstance(cause, JsonLdError):
        innermost = cause
        cause = cause.__cause__ or cause.__context__
    message = str(innermost).split("\n")[0].removeprefix("('").split("',")[0]
    code = getattr(innermost, "code", None)
    return "invalid JSON-LD: " + message + (f" ({code})" if code else "")


# --- RDFC-1.0 -----------------------------------------------------------------------------------------


class _IdentifierIssuer:
    __slots__ = ("prefix", "counter", "issued")

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.counter = 0
        self.issued: dict[str, str] = {}

    def issue(self, existing: str) -> str:
        issued = self.issued.get(existing)
        if issued is None:
            issued = f"{self.prefix}{self.counter}"
            self.counter += 1
            self.issued[existing] = issued
        return issued

    def copy(self) -> _IdentifierIssuer:
        clone = _IdentifierIssuer(self.prefix)
        clone.counter = self.counter
        clone.issued = dict(self.issued)
        return clone


def _sha256_hex(lines: Iterable[str]) -> str:
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode("utf-8"))
    return h.hexdigest()


class _Rdfc10:
    """The RDFC-1.0 algorithm (W3C Recommendation, 2024) over serialized-term quads."""

    def __init__(self, quads: list[Quad], max_work: int) -> None:
        self.quads = quads
        self.max_work = max_work
        self.work = 0
        self.canonical = _IdentifierIssuer("c14n")
        self.blank_quads: dict[str, list[Quad]] = {}
        for quad in quads:
            for i in (0, 2, 3):
                term = quad[i]
                if term.startswith("_:"):
                    entries = self.blank_quads.setdefault(term, [])
                    if not entries or entries[-1] is not quad:
                        entries.append(quad)
        self.first_degree: dict[str, str] = {}

    def hash_first_degree(self, node: str) -> str:
        cached = self.first_degree.get(node)
        if cached is not None:
            return cached
        lines = []
        for s, p, o, g in self.blank_quads[node]:
            if s.startswith("_:"):
                s = "_:a" if s == node else "_:z"
            if o.startswith("_:"):
                o = "_:a" if o == node else "_:z"
            if g.startswith("_:"):
                g = "_:a" if g == node else "_:z"
            lines.append(_serialize((s, p, o, g)))
        lines.sort()
        result = _sha256_hex(lines)
        self.first_degree[node] = result
        return result

    def hash_related(self, related: str, quad: Quad, issuer: _IdentifierIssuer, position: str) -> str:
        if related in self.canonical.issued:
            ident = "_:" + self.canonical.issued[related]
        elif related in issuer.issued:
            ident = "_:" + issuer.issued[related]
        else:
            ident = self.hash_first_degree(related)
        data = position
        if position != "g":
            data += quad[1]
        data += ident
        return hashlib.sha256(data.encode("utf-8")).hexdigest()

    def hash_n_degree(self, node: str, issuer: _IdentifierIssuer) -> tuple[str, _IdentifierIssuer]:
        self.work += 1
        if self.work > self.max_work:
            raise CanonicalizationError(
                "the document's blank nodes are too interconnected to canonicalize within limits"
            )
        hash_to_related: dict[str, list[str]] = {}
        for quad in self.blank_quads[node]:
            for term, position in ((quad[0], "s"), (quad[2], "o"), (quad[3], "g")):
                if term.startswith("_:") and term != node:
                    h = self.hash_related(term, quad, issuer, position)
                    hash_to_related.setdefault(h, []).append(term)
        data = hashlib.sha256()
        for related_hash in sorted(hash_to_related):
            data.update(related_hash.encode())
            chosen_path = ""
            chosen_issuer: _IdentifierIssuer | None = None
            for permutation in itertools.permutations(hash_to_related[related_hash]):
                issuer_copy = issuer.copy()
                path = ""
                recursion: list[str] = []
                skip = False
                for related in permutation:
                    if related in self.canonical.issued:
                        path += "_:" + self.canonical.issued[related]
                    else:
                        if related not in issuer_copy.issued:
                            recursion.append(related)
                        path += "_:" + issuer_copy.issue(related)
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                for related in recursion:
                    result_hash, result_issuer = self.hash_n_degree(related, issuer_copy)
                    path += "_:" + issuer_copy.issue(related)
                    path += "<" + result_hash + ">"
                    issuer_copy = result_issuer
                    if chosen_path and len(path) >= len(chosen_path) and path > chosen_path:
                        skip = True
                        break
                if skip:
                    continue
                if not chosen_path or path < chosen_path:
                    chosen_path = path
                    chosen_issuer = issuer_copy
            data.update(chosen_path.encode("utf-8"))
            assert chosen_issuer is not None
            issuer = chosen_issuer
        return data.hexdigest(), issuer

    def run(self) -> str:
        hash_to_nodes: dict[str, list[str]] = {}
        for node in self.blank_quads:
            hash_to_nodes.setdefault(self.hash_first_degree(node), []).append(node)
        shared: list[str] = []
        for h in sorted(hash_to_nodes):
            nodes = hash_to_nodes[h]
            if len(nodes) == 1:
                self.canonical.issue(nodes[0])
            else:
                shared.append(h)
        for h in shared:
            results = []
            for node in hash_to_nodes[h]:
                if node in self.canonical.issued:
                    continue
                temp = _IdentifierIssuer("b")
                temp.issue(node)
                results.append(self.hash_n_degree(node, temp))
            for _, result_issuer in sorted(results, key=lambda r: r[0]):
                for existing in result_issuer.issued:
                    self.canonical.issue(existing)
        issued = self.canonical.issued
        lines = []
        for s, p, o, g in self.quads:
            if s.startswith("_:"):
                s = "_:" + issued[s]
            if o.startswith("_:"):
                o = "_:" + issued[o]
            if g.startswith("_:"):
                g = "_:" + issued[g]
            lines.append(_serialize((s, p, o, g)))
        lines.sort()
        # A dataset is a set: identical quads collapse to one line.
        return "".join(line for i, line in enumerate(lines) if i == 0 or line != lines[i - 1])


def canonicalize_quads(quads: list[Quad], *, max_work: int = 10_000) -> str:
    """RDFC-1.0 canonical N-Quads of a dataset given as serialized-term quads."""
    # A dataset is a set: pyld can emit the same quad twice (["4", 4] under an integer coercion), and a
    # duplicate would change the blank-node hashes that other implementations compute over the set.
    return _Rdfc10(list(dict.fromkeys(quads)), max_work).run()


_DEFAULT: Canonicalizer | None = None


def default_canonicalizer() -> Canonicalizer:
    """A process-wide canonicalizer over the pinned contexts (its caches are shared by every caller)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Canonicalizer(PINNED_LOADER)
    return _DEFAULT


def canonicalize(document: Mapping[str, Any], *, loader: PinnedLoader | None = None) -> str:
    """RDFC-1.0 N-Quads of ``document`` in safe mode (see ``Canonicalizer``)."""
    if loader is None or loader is PINNED_LOADER:
        return default_canonicalizer().canonicalize(document)
    return Canonicalizer(loader).canonicalize(document)

