"""Verify a credential and explain the verdict: ``verify(...) -> VerificationReport``.

Each check has a stable code and ends ``passed``, ``failed`` or ``not_checked`` (could not be checked,
which is never reported as passing). The codes, in the order they run:

==================  ===========================================================================
``parse``           the input is a JSON credential, a compact VC-JWT, or an enveloped VC-JWT
``context``         its @context is VC 2.0 (or 1.1) with pinned contexts, and every term is defined
``schema``          an Open Badge (or an OB EndorsementCredential) validates against its 1EdTech OB 3.0
                    JSON Schema
``issuer_key``      the signing key belongs to the issuer and is listed for ``assertionMethod``
``proof``           the signature (Data Integrity eddsa-rdfc-2022, or JOSE) covers this exact credential
``validity``        ``now`` lies between validFrom and validUntil
``status``          no revocation or suspension bit is set in the issuer's status lists
``evidence_digest`` the evidence digests are well formed; with files given (their bytes, or their SHA-256
                    digests alone: ``evidence.GivenFile``), each file's own verdict by its name
                    (``details["files"]``): passed when a file is recorded evidence, not checked when no
                    file is ("not checked: give the files to compare" without any); a file that is not the
                    evidence is a verdict on that file, never a failure of the credential
``rubric``          every rubric criterion's achieved level is at or above the required level
``endorsements``    (only when it embeds endorsements, ``vc.endorsements``) each embedded endorsement
                    verifies as a credential in its own right (parse, context, its EndorsementCredential schema,
                    its endorser's key, its signature, validity, status) and endorses the thing it sits on
``components``      (designations only) every component credential it names verifies and has the digest
                    the designation recorded
``assessor_qualification``  (only when it cites assessor qualifications, ``vc.qualification``) each
                    qualification verifies, has the digest the award recorded, was issued by the award's
                    issuer (or the ``parentOrg`` its profile names) for this micro-credential, and was valid
                    and not revoked at the time of the assessment; a later revocation is a warning
==================  ===========================================================================

An embedded endorsement is genuine or not: one that cannot be read, breaks its schema, is not signed by its
endorser's key, was altered, or endorses something else than what it sits on fails the check (the credential
carries a false endorsement). One that is genuine but expired or revoked passes with a warning naming it (it
no longer endorses; the credential is not the less what its issuer signed). One whose signature or status
could not be checked leaves the check "not checked". Each is listed in ``details["endorsements"]`` with its
own checks. Endorsements embedded in an endorsement are followed as components are (at most
:data:`MAX_COMPONENT_DEPTH` deep), and one verification checks at most
:data:`mcbadge.vc.endorsements.MAX_ENDORSEMENTS` endorsements in all (a credential that embeds more fails the
check unread; nested ones beyond the count are "not checked").

A credential names components (it is a designation, ``mcbadge.stacks``) when its ``relatedResource`` has
entries whose ``mediaType`` is one of :data:`mcbadge.vc.components.COMPONENT_MEDIA_TYPES` (the forms a
component digest covers); each such entry's ``id`` is a component credential's id and its
``digestMultibase`` that credential's digest. Other credentials get no ``components`` check at all. Each
component is taken from ``presented_components`` (what the holder gave, found by id) or else from
``component_fetcher``; it is verified with the same collaborators (a component that is itself a designation
is checked in turn, at most :data:`MAX_COMPONENT_DEPTH` levels deep) and its digest recomputed. The check
fails when a component fails (revoked, tampered, expired...) or its digest differs, and is not checked when a
component cannot be found or fully checked: never passed unless every component was. The work is bounded:
a designation that names more than :data:`mcbadge.vc.components.MAX_COMPONENTS` components fails the check
unread, and one verification verifies at most that many components in all (any further one, in a nested
designation, is not checked). The issuer key and the status lists are consulted once per call for the
designation and all its components alike.

The time of the assessment is the award's ``validFrom``: when the issuer certified the assessment (neither
OB 3.0 nor VC 2.0 has a term for when scoring happened; an award cites only qualifications current when it
is made). A status list says only "revoked now", so the date a revocation took effect comes from the
``qualification_fetcher`` (:class:`~mcbadge.vc.qualification.QualificationRecord`, the issuer's records): a
revocation from after that time passes with a warning and its date (``details["warnings"]``), one from
before fails, and one whose date nobody can tell is "not checked".

Two more checks are made beside this module, in the same report shape: ``recipient`` (``vc.recipient``: the
identifier a verifier typed, compared with the credential's hashed or plain identity) and, for Open Badges 2.0
assertions, ``badge_class`` and ``hosted`` (``vc.ob2``).

``verify`` raises only for programmer errors (a naive ``now``); every problem of the credential itself
is a failed check. Collaborators are passed in: the DID resolver (which owns any network access), the
status-list fetcher, the clock, and the canonicalizer (which owns the pinned contexts).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from . import data_integrity, evidence, jwt, rubric, schema, status_list
from ._jsonld_base import Quad
from .canon import Canonicalizer, default_canonicalizer
from .components import (
    JWT_MEDIA_TYPE,
    MAX_COMPONENTS,
    component_entries,
    component_media_type,
    digest_matches,
)
from .contexts import CREDENTIALS_V1, CREDENTIALS_V2
from .dids import DidResolver, VerificationMethod
from .endorsements import MAX_ENDORSEMENTS, EmbeddedEndorsement, embedded_endorsements
from .errors import (
    CanonicalizationError,
    CredentialError,
    DidResolutionError,
    JwtKeyError,
)
from .json_values import as_list, issuer_id, strict_loads
from .keys import PublicKey
from .qualification import (
    QUALIFICATION_ACHIEVEMENT_TYPE,
    QualificationFetcher,
    QualificationReference,
    microcredential_key_url,
    qualification_digest,
    qualification_references,
    qualification_subject,
)

StatusFetcher = Callable[[str], Any]
"""``fetch(status_list_credential_url)`` -> the status list credential (a mapping), or an object with
``.credential`` (that mapping) and ``.age_seconds`` (how old the information is; the status check then
reports it in its message and as ``details["age_seconds"]``). Raises when the list cannot be fetched."""


ComponentFetcher = Callable[[str], Any]
"""``fetch(component credential id)`` -> that credential (a mapping, or a VC-JWT string) as its issuer keeps it.
Raises ``LookupError`` when it does not have it (the component is then "could not be checked")."""

MAX_COMPONENT_DEPTH = 3
"""How deep designations of designations are followed; deeper components are "could not be checked"."""


class Outcome(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_CHECKED = "not_checked"


@dataclass(frozen=True)
class Check:
    """One named check: its stable ``code``, its outcome, and a sentence a person can read."""

    code: str
    outcome: Outcome
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "outcome": self.outcome.value, "message": self.message}
        if self.details:
            out["details"] = dict(self.details)
        return out


@dataclass(frozen=True)
class VerificationReport:
    """The verdict on one credential: every check, and the credential as it was read (None if unreadable)."""

    checks: tuple[Check, ...]
    credential: Mapping[str, Any] | None
    format: str  # "json", "jwt", "ob2" (an Open Badges 2.0 assertion, ``vc.ob2``)
    assurance: str | None = None
    """What the verdict rests on, when a person should be told (a hosted Open Badges 2.0 badge: the issuer's web
    server, not a signature)."""

    @property
    def verified(self) -> bool:
        """True when no check failed and the signature was checked and valid (for a hosted Open Badges 2.0
        assertion, which has none: the issuer's server served this very assertion, the ``hosted`` check)."""
        proof = self.check("proof") or self.check("hosted")
        return (
            not any(c.outcome is Outcome.FAILED for c in self.checks)
            and proof is not None
            and proof.outcome is Outcome.PASSED
        )

    def check(self, code: str) -> Check | None:
        return next((c for c in self.checks if c.code == code), None)

    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.outcome is Outcome.FAILED]

    @property
    def summary(self) -> str:
        if self.verified:
            unchecked = [c.code for c in self.checks if c.outcome is Outcome.NOT_CHECKED]
            # A passed check may carry warnings (a qualification revoked after the assessment): said, not hidden.
            warned = [str(w) for c in self.checks for w in c.details.get("warnings", ())]
            also = (" Warning: " + "; ".join(warned) + ".") if warned else ""
            # Evidence files nobody gave were not compared: said as such, not as a check that failed to run.
            awaiting = [c for c in self.checks if c.details.get("awaiting_files")]
            unchecked = [code for code in unchecked if code not in {c.code for c in awaiting}]
            files = " The evidence files were not compared: give them to compare." if awaiting else ""
            if unchecked:
                return "Verified, but some checks could not be made: " + ", ".join(unchecked) + "." + files + also
            return "Verified: every check passed." + files + also
        return "Not verified: " + "; ".join(f"{c.code}: {c.message}" for c in self.failed()) + "."

    def to_dict(self) -> dict[str, Any]:
        return {
            "verified": self.verified,
            "summary": self.summary,
            "format": self.format,
            "checks": [c.to_dict() for c in self.checks],
            **({"assurance": self.assurance} if self.assurance else {}),
        }


_PLAIN_STATUS = {"revocation": "not revoked", "suspension": "not suspended"}
"""What an unset status bit means, in the words a person reading the report uses."""

_JWT_RE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
_ENVELOPE_PREFIXES = ("data:application/vc+jwt,", "data:application/vc-ld+jwt,", "data:application/jwt,")
OB_TYPES = frozenset({"OpenBadgeCredential", "AchievementCredential"})
ENDORSEMENT_TYPE = "EndorsementCredential"
"""OB 3.0's other credential: validated against its own schema (a state's vetting, ``vc.vetting``)."""






MAX_DOCUMENT_DEPTH = 100
"""How deep a credential's JSON may nest: far beyond any credential's (an Open Badge nests about ten levels; the
service refuses requests beyond 32, ``mcbadge.limits``), and far below where reading it (canonicalization, the
schema) would exhaust Python's recursion limit."""


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether a JSON value nests more than ``limit`` arrays and objects deep (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, Mapping) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, (Mapping, list)))
    return False


def _parse(value: Any) -> tuple[Mapping[str, Any] | None, str | None, str]:
    """Returns (credential, jwt, format). Exactly one of credential/jwt is set, else both None (and the format
    says why when it can: "enveloped", "too_deep", or "unknown: <why the text is not JSON>")."""
    if isinstance(value, (bytes, bytearray)):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            return None, None, "unknown"
    if isinstance(value, str):
        text = value.strip()
        if _JWT_RE.match(text):
            return None, text, "jwt"
        try:
            # Strict: a member named twice would be read as the last one here and as the first elsewhere, and
            # "verified" would then hold for a document another verifier reads otherwise.
            value = strict_loads(text)
        except RecursionError:
            return None, None, "unknown: the text nests too deep to be read"
        except ValueError as exc:  # DuplicateMember and NaN are ValueErrors too
            return None, None, f"unknown: the text is not JSON a verifier can read ({exc})"
    if isinstance(value, Mapping) and _deeper_than(value, MAX_DOCUMENT_DEPTH):
        return None, None, "too_deep"
    if isinstance(value, Mapping):
        if "EnvelopedVerifiableCredential" in as_list(value.get("type")):
            ident = value.get("id")
            # VC 2.0 §4.13: an envelope is a VC 2.0 document, whose @context starts with the credentials
            # context; without it the envelope is not a conforming document (its token is not read).
            if as_list(value.get("@context"))[:1] == [CREDENTIALS_V2] and isinstance(ident, str):
                for prefix in _ENVELOPE_PREFIXES:
                    if ident.startswith(prefix) and _JWT_RE.match(ident[len(prefix):]):
                        return None, ident[len(prefix):], "jwt"
            return None, None, "enveloped"
        return value, None, "json"
    return None, None, "unknown"


class _OnceCanonicalizer(Canonicalizer):
    """Within one verification, the same document is canonicalized once (context check and proof share it).

    The context check and the proof each build their own copy of the credential without its proof, from the
    same member values. "The same document" is therefore: the same names bound to the very same objects
    (``is``), which nothing changes while one verification runs. Comparing identities is free, where
    serializing the document to compare it cost as much as a tenth of a verification. The remembered
    values are kept alive with the result, so their ids cannot be reused by other objects meanwhile.
    """

    def __init__(self, inner: Canonicalizer) -> None:  # noqa: D107 - deliberately skips the parent's setup
        self._inner = inner
        self._seen: dict[tuple[tuple[str, int], ...], tuple[list[Any], str]] = {}

    def canonicalize(self, document: Mapping[str, Any]) -> str:
        key = tuple((name, id(value)) for name, value in document.items())
        seen = self._seen.get(key)
        if seen is None:
            seen = (list(document.values()), self._inner.canonicalize(document))
            self._seen[key] = seen
        return seen[1]

    def to_quads(self, document: Mapping[str, Any]) -> list[Quad]:
        return self._inner.to_quads(document)


DocumentCache = MutableMapping[bytes, Any]
"""Where ``verify`` keeps, across calls, what depends on nothing but a recurring document's exact bytes (see
``document_cache``). Shared by the caller's threads, so it must be safe to use from several at once."""


def _exact_key(value: Mapping[str, Any] | str) -> bytes | None:
    """SHA-256 over a document's exact JSON (sorted keys), or over a VC-JWT's compact form; None when it is not
    plain JSON. Sorted-key JSON tells apart any two JSON values as ``json.loads`` gives them (string keys,
    lists, no NaN): a document that differs in one character, its proof included, has another key."""
    if isinstance(value, str):
        return hashlib.sha256(b"jwt\x00" + value.encode("utf-8", "surrogatepass")).digest()
    try:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        return None
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class _RememberingCanonicalizer(Canonicalizer):
    """Across verifications: a document already canonicalized is found by its exact JSON, not canonicalized again.

    For the components a designation names that the issuer's own store gives (``component_fetcher``): the
    same stored documents come back at every verification of every designation that rests on them, and
    canonicalizing them is most of the cost of checking them. Documents are found by :func:`_exact_key`. The
    component itself (``document``, whose key the caller computed once) and its copies without the proof
    (the context check's and the signature's: the same member objects, ``is``, minus ``proof``) are keyed
    from the component's key; anything else (a proof configuration) by its own. The canonical form is a
    function of the document and the canonicalizer alone; each entry keeps the canonicalizer it was made
    with and counts only for that one. Nothing else is kept here: the key's binding, status and validity are
    checked every time.
    """

    def __init__(self, inner: Canonicalizer, cache: DocumentCache,  # noqa: D107 - skips the parent's setup
                 document: Mapping[str, Any] | None = None, document_key: bytes = b"") -> None:
        self._inner = inner
        self._cache = cache
        self._document = document
        self._document_key = document_key
        self._unsecured_names = document.keys() - {"proof"} if document is not None else set()

    def _key(self, document: Mapping[str, Any]) -> bytes | None:
        if self._document is None:
            return _exact_key(document)
        if document is self._document:
            return self._document_key + b"/document"
        if document.keys() == self._unsecured_names and all(
                document[name] is self._document[name] for name in self._unsecured_names):
            return self._document_key + b"/unsecured"
        return _exact_key(document)

    def canonicalize(self, document: Mapping[str, Any]) -> str:
        key = self._key(document)
        if key is None:
            return self._inner.canonicalize(document)  # not plain JSON: no key stands for it
        found = self._cache.get(key)
        if isinstance(found, tuple) and found[0] is self._inner:
            return str(found[1])
        canonical = self._inner.canonicalize(document)  # an error is raised, never remembered
        self._cache[key] = (self._inner, canonical)
        return canonical

    def to_quads(self, document: Mapping[str, Any]) -> list[Quad]:
        return self._inner.to_quads(document)


@dataclass(frozen=True)
class _Remembered:
    """A recurring document being verified: its exact key, and where what is known about it is kept."""

    cache: DocumentCache
    document_key: bytes


def _remembering(cache: DocumentCache, inner: Canonicalizer, form: Mapping[str, Any] | str
                 ) -> tuple[Canonicalizer, _Remembered | None]:
    """How to verify a recurring document (``form``: as its digest covers it): the canonicalizer that remembers
    its canonical forms, and its exact key for the other remembered results (None for a VC-JWT)."""
    key = _exact_key(form)
    if isinstance(form, Mapping) and key is not None:
        return _RememberingCanonicalizer(inner, cache, form, key), _Remembered(cache, key)
    return _RememberingCanonicalizer(inner, cache), None


@dataclass
class _Consulted:
    """What one call of ``verify`` has already asked its collaborators, shared by the designation and each of
    its components: the same issuer key and the same two status lists serve all of them, so each is
    resolved, read and checked once per call, never across calls (a revocation shows at the next one)."""

    methods: dict[str, VerificationMethod | CredentialError] = field(default_factory=dict)
    status_lists: dict[str, Any] = field(default_factory=dict)
    """url -> what the status fetcher returned for it, or the exception it raised."""
    list_problems: dict[tuple[str, str | None], str | None] = field(default_factory=dict)
    """(url, the credential's issuer) -> why that list is not trustworthy for it, or None."""
    components_checked: int = 0
    """Component verifications made so far, at any depth (at most :data:`MAX_COMPONENTS`)."""
    endorsements_checked: int = 0
    """Endorsement verifications made so far, at any depth (at most :data:`MAX_ENDORSEMENTS`)."""


class _Verifier:
    def __init__(
        self,
        resolver: DidResolver,
        status_fetcher: StatusFetcher | None,
        now: datetime,
        canonicalizer: Canonicalizer,
        evidence_files: Iterable[bytes | evidence.GivenFile],
        expected_purpose: str,
        status_list_cache: MutableMapping[bytes, bool] | None = None,
        presented_components: Mapping[str, Mapping[str, Any] | str] | None = None,
        component_fetcher: ComponentFetcher | None = None,
        depth: int = 0,
        document_cache: DocumentCache | None = None,
        own_canon: Canonicalizer | None = None,
        consulted: _Consulted | None = None,
        remembered: _Remembered | None = None,
        qualification_fetcher: QualificationFetcher | None = None,
    ) -> None:
        self.qualification_fetcher = qualification_fetcher
        self.status_list_cache = status_list_cache
        self.inner_canon = canonicalizer
        self.presented_components = presented_components or {}
        self.component_fetcher = component_fetcher
        self.document_cache = document_cache
        self.remembered = remembered
        self.depth = depth
        self.resolver = resolver
        self.status_fetcher = status_fetcher
        self.now = now
        # ``own_canon``: how this verifier's own document is canonicalized, when not as its components are
        # (a stored component, remembered across calls: ``remembered``); ``inner_canon`` is handed on to
        # its components.
        self.canon = _OnceCanonicalizer(own_canon or canonicalizer)
        self.evidence_files = [f if isinstance(f, evidence.GivenFile) else evidence.GivenFile.of(f"file {i}", f)
                               for i, f in enumerate(evidence_files, start=1)]
        self.expected_purpose = expected_purpose
        self.checks: list[Check] = []
        # One verification names the issuer's key up to four times (the proof, its attribution, each
        # status list's proof), and a designation's components name it again: resolve it once. A new
        # verification resolves afresh.
        self.consulted = consulted or _Consulted()

    def add(self, code: str, outcome: Outcome, message: str, **details: Any) -> None:
        self.checks.append(Check(code, outcome, message, details))

    # -- key binding --------------------------------------------------------------------------------

    def method(self, vm: str) -> VerificationMethod:
        found = self.consulted.methods.get(vm)
        if found is None:
            try:
                found = self.resolver.resolve_verification_method(vm)
            except CredentialError as exc:
                found = exc
            self.consulted.methods[vm] = found
        if isinstance(found, CredentialError):
            raise found
        return found

    def key_resolver(self, issuer: str | None) -> Callable[[str, str], PublicKey]:
        def resolve(vm: str, purpose: str) -> PublicKey:
            method = self.method(vm)
            if purpose not in method.relationships:
                raise DidResolutionError(
                    f"the key {vm} is not listed for {purpose} in its controller's DID document"
                )
            if issuer is not None and method.controller != issuer:
                raise DidResolutionError(
                    f"the key {vm} belongs to {method.controller}, not to the issuer {issuer}"
                )
            if not isinstance(method.public_key, PublicKey):
                raise DidResolutionError(f"the key {vm} is an RSA key, which makes no Data Integrity proof")
            return method.public_key

        return resolve

    # -- checks -------------------------------------------------------------------------------------

    def once_per_document(self, code: str, run: Callable[[], None]) -> None:
        """``run()`` adds the ``code`` check, which depends on nothing but the document (no clock, no key, no
        list, no file): for a stored component (``remembered``) its result is kept with the exact document's
        key and reused at the next verification of that very document."""
        remembered = self.remembered
        if remembered is None or self.evidence_files:
            run()
            return
        key = remembered.document_key + b"/check/" + code.encode("ascii")
        found = remembered.cache.get(key)
        if isinstance(found, Check) and found.code == code:
            self.checks.append(found)
            return
        before = len(self.checks)
        run()
        if len(self.checks) == before + 1:
            remembered.cache[key] = self.checks[-1]

    def check_context(self, credential: Mapping[str, Any]) -> bool:
        contexts = as_list(credential.get("@context"))
        if not contexts:
            self.add("context", Outcome.FAILED, "the credential has no @context")
            return False
        if contexts[0] not in (CREDENTIALS_V2, CREDENTIALS_V1):
            self.add("context", Outcome.FAILED,
                     f"the first @context must be the W3C credentials context, not {contexts[0]!r}")
            return False
        unsecured = {k: v for k, v in credential.items() if k != "proof"}
        try:
            self.canon.canonicalize(unsecured)
        except CanonicalizationError as exc:
            self.add("context", Outcome.FAILED, f"the credential cannot be read safely: {exc}")
            return False
        self.add("context", Outcome.PASSED, "every term is defined by pinned, known contexts")
        return True

    def check_schema(self, credential: Mapping[str, Any]) -> None:
        types = set(as_list(credential.get("type")))
        endorsement = ENDORSEMENT_TYPE in types and not types & OB_TYPES
        if not types & OB_TYPES and not endorsement:
            self.add("schema", Outcome.NOT_CHECKED, "not an Open Badge; no schema to check against")
            return
        if as_list(credential.get("@context"))[:1] == [CREDENTIALS_V1]:
            # The 1EdTech schemas are those of OB 3.0 as published, on VC 2.0; a VC 1.1 Open Badge follows the
            # earlier drafts that early issuers signed, for which there is no schema to hold it to.
            self.add("schema", Outcome.NOT_CHECKED, "a VC 1.1 credential (an early Open Badges 3.0 draft): the "
                                                    "Open Badges 3.0 JSON Schema is for VC 2.0 credentials")
            return
        # Read as JSON-LD reads it (one value == a one-element array), embedded credentials included.
        document = dict(credential)
        statuses = document.get("credentialStatus")
        if endorsement:
            problems = schema.validate_as_json_ld(document, schema.ENDORSEMENT_CREDENTIAL_SCHEMA)
        elif isinstance(statuses, list) and len(statuses) > 1:
            # VC 2.0 allows several status entries, and an issuer may add one for suspension to the one for
            # revocation (mcbadge does when the issuer opts into suspension); the OB 3.0 schema, written for
            # VC 1.1, has room for one. The credential is checked with its first entry in that place, and
            # every other entry against the schema's CredentialStatus (nothing else in the schema refers to
            # credentialStatus).
            found = set(schema.validate_as_json_ld({**document, "credentialStatus": statuses[0]},
                                                   schema.ACHIEVEMENT_CREDENTIAL_SCHEMA))
            for entry in statuses[1:]:
                found.update(schema.validate_credential_status(entry))
            problems = sorted(found)
        else:
            problems = schema.validate_as_json_ld(document, schema.ACHIEVEMENT_CREDENTIAL_SCHEMA)
        if problems:
            shown = "; ".join(str(p) for p in problems[:5])
            more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
            self.add("schema", Outcome.FAILED, f"does not follow the Open Badges 3.0 schema: {shown}{more}",
                     problems=[str(p) for p in problems])
        else:
            self.add("schema", Outcome.PASSED, "follows the Open Badges 3.0 JSON Schema")

    def check_data_integrity(self, credential: Mapping[str, Any], context_ok: bool) -> None:
        issuer = issuer_id(credential)
        if not as_list(credential.get("proof")):
            self.add("issuer_key", Outcome.NOT_CHECKED, "there is no proof, so no key to check")
            self.add("proof", Outcome.FAILED, "the credential is not signed (it has no proof)")
            return
        if issuer is None:
            self.add("issuer_key", Outcome.FAILED, "the credential names no issuer id")
            self.add("proof", Outcome.NOT_CHECKED, "without an issuer, the signature cannot be attributed")
            return
        if not context_ok:
            self.add("issuer_key", Outcome.NOT_CHECKED, "the credential could not be read")
            self.add("proof", Outcome.FAILED, "the signature cannot be checked over data that cannot be read")
            return
        remembered = self.remembered
        results = data_integrity.verify_proofs(
            credential,
            self.key_resolver(None),
            now=self.now,
            expected_purpose=self.expected_purpose,
            canonicalizer=self.canon,
            # A stored component: its signature is checked once per exact document and key (the key's
            # binding and the proof's dates every time).
            signature_cache=remembered.cache if remembered is not None else None,
            document_key=remembered.document_key if remembered is not None else None,
        )
        n = len(results)

        def which(index: int) -> str:
            # In a proof set, say which proof: its place, its suite and its key.
            result = results[index]
            return (f"proof {index + 1} of {n} ({result.suite or 'unknown suite'}"
                    f"{', ' + result.verification_method if result.verification_method else ''}): ") if n > 1 else ""

        rows = [{"index": i + 1, "suite": r.suite, "verification_method": r.verification_method,
                 "outcome": (Outcome.PASSED if r.verified else Outcome.FAILED).value, "reason": r.reason}
                for i, r in enumerate(results)]
        suites = sorted({str(r.suite) for r in results if r.suite})
        key_failures = [i for i, r in enumerate(results) if not r.verified and r.code == "issuer_key"]
        proof_failures = [i for i, r in enumerate(results) if not r.verified and r.code == "proof"]
        issuer_proofs = [
            r for r in results
            if r.verified and r.verification_method and self._controller(r.verification_method) == issuer
        ]
        if key_failures:
            first = key_failures[0]
            self.add("issuer_key", Outcome.FAILED, which(first) + results[first].reason)
        elif not issuer_proofs and not proof_failures:
            self.add("issuer_key", Outcome.FAILED, f"no proof is made with a key of the issuer {issuer}")
        elif not issuer_proofs:
            self.add("issuer_key", Outcome.NOT_CHECKED, "no valid proof to attribute to the issuer")
        else:
            self.add("issuer_key", Outcome.PASSED,
                     f"signed with {issuer_proofs[0].verification_method}, a key the issuer lists for {self.expected_purpose}")
        # The proof check names the suite(s) it verified and, per proof, what was found (``details["proofs"]``).
        named = " and ".join(suites) or "unknown"
        if proof_failures:
            first = proof_failures[0]
            self.add("proof", Outcome.FAILED, which(first) + results[first].reason, suites=suites, proofs=rows)
        elif key_failures:
            self.add("proof", Outcome.NOT_CHECKED, "the signature was not checked: its key is not the issuer's",
                     suites=suites, proofs=rows)
        elif not issuer_proofs:
            self.add("proof", Outcome.FAILED, "no valid proof by the issuer", suites=suites, proofs=rows)
        else:
            self.add("proof", Outcome.PASSED,
                     f"the {named} signature{'s are' if n > 1 else ' is'} valid: the credential is exactly what "
                     "the issuer signed" + (f" ({n} proofs, all valid)" if n > 1 else ""),
                     suites=suites, proofs=rows)

    def _controller(self, verification_method: str) -> str | None:
        try:
            return self.method(verification_method).controller
        except CredentialError:
            return None

    def check_validity(self, credential: Mapping[str, Any]) -> None:
        v2 = as_list(credential.get("@context"))[:1] == [CREDENTIALS_V2]
        start_name, end_name = ("validFrom", "validUntil") if v2 else ("issuanceDate", "expirationDate")
        start_raw, end_raw = credential.get(start_name), credential.get(end_name)
        start = data_integrity.parse_datetime(start_raw) if start_raw is not None else None
        end = data_integrity.parse_datetime(end_raw) if end_raw is not None else None
        if start_raw is not None and start is None:
            self.add("validity", Outcome.FAILED, f"{start_name} {start_raw!r} is not a valid date-time")
        elif end_raw is not None and end is None:
            self.add("validity", Outcome.FAILED, f"{end_name} {end_raw!r} is not a valid date-time")
        elif start is not None and start > self.now:
            self.add("validity", Outcome.FAILED, f"not valid yet: valid from {start_raw}")
        elif end is not None and end < self.now:
            self.add("validity", Outcome.FAILED, f"expired on {end_raw}")
        elif start is None and not v2:
            self.add("validity", Outcome.FAILED, "a VC 1.1 credential must have an issuanceDate")
        else:
            until = f" until {end_raw}" if end_raw else " with no end date"
            since = f" since {start_raw}" if start_raw else ""
            self.add("validity", Outcome.PASSED, f"valid{since}{until}")

    def check_status(self, credential: Mapping[str, Any]) -> None:
        entries = as_list(credential.get("credentialStatus"))
        if not entries:
            self.add("status", Outcome.NOT_CHECKED, "the credential has no status entry, so it cannot be revoked")
            return
        issuer = issuer_id(credential)
        messages: list[str] = []
        unchecked: list[str] = []
        ages: list[float] = []
        for entry in entries:
            # JSON-LD reads a one-element array as the single value: ["BitstringStatusListEntry"] is that entry.
            if not isinstance(entry, Mapping) or status_list.ENTRY_TYPE not in as_list(entry.get("type")):
                kind = entry.get("type") if isinstance(entry, Mapping) else type(entry).__name__
                unchecked.append(f"status entry of type {kind!r} is not supported")
                continue
            url = entry.get("statusListCredential")
            purpose = entry.get("statusPurpose")
            if not isinstance(url, str) or not url:
                # Nothing to fetch: the issuer signed an entry no verifier can follow (the Recommendation: a URL).
                self.add("status", Outcome.FAILED,
                         f"the {purpose} status entry is invalid: its statusListCredential {url!r} is not a URL")
                return
            if self.status_fetcher is None:
                unchecked.append(f"{purpose} status could not be checked: no status fetcher configured")
                continue
            fetched = self.consulted.status_lists.get(url)
            if fetched is None:
                try:
                    fetched = self.status_fetcher(url)
                except Exception as exc:  # noqa: BLE001 - any fetch failure means "could not be checked"
                    fetched = exc
                self.consulted.status_lists[url] = fetched
            if isinstance(fetched, Exception):
                unchecked.append(f"{purpose} status could not be checked: {fetched}")
                continue
            # A fetcher may return the list itself, or an object with ``.credential`` and ``.age_seconds``
            # (how old the information is: a cached list is as old as its last confirmation by the issuer).
            list_credential, age = fetched, None
            if not isinstance(fetched, Mapping) and hasattr(fetched, "credential"):
                list_credential, age = fetched.credential, getattr(fetched, "age_seconds", None)
                if isinstance(age, (int, float)) and not isinstance(age, bool):
                    ages.append(float(age))
                else:
                    age = None
            trust_key = (url, issuer)
            if trust_key not in self.consulted.list_problems:
                self.consulted.list_problems[trust_key] = self._verify_status_list(list_credential, issuer)
            problem = self.consulted.list_problems[trust_key]
            if problem:
                self.add("status", Outcome.FAILED, f"the {purpose} status list is not trustworthy: {problem}")
                return
            try:
                result = status_list.check_status(dict(entry), dict(list_credential), now=self.now)
            except CredentialError as exc:
                self.add("status", Outcome.FAILED, f"the {purpose} status entry is invalid: {exc}")
                return
            if result.invalidates:
                word = "revoked" if result.purpose == "revocation" else "suspended"
                extra = {"age_seconds": round(age, 3)} if age is not None else {}
                self.add("status", Outcome.FAILED, f"the issuer has {word} this credential", purpose=result.purpose,
                         **extra)
                return
            messages.append(_PLAIN_STATUS.get(str(result.purpose), f"no {result.purpose} flag set"))
        if unchecked:
            self.add("status", Outcome.NOT_CHECKED, "; ".join(unchecked))
        elif ages:
            age = max(ages)  # the oldest of the lists consulted
            whole = int(age)
            when = ("just now" if whole < 1 else f"{whole} second{'s' if whole != 1 else ''} ago" if whole < 120
                    else f"{whole // 60} minutes ago")
            self.add("status", Outcome.PASSED,
                     ", ".join(messages) + f" (status checked {when} in the issuer's status list)",
                     age_seconds=round(age, 3))
        else:
            self.add("status", Outcome.PASSED, ", ".join(messages) + " (the issuer's status list)")

    def _verify_status_list(self, list_credential: Mapping[str, Any], issuer: str | None) -> str | None:
        if not isinstance(list_credential, Mapping):
            return "the status list is not a JSON object"
        list_issuer = issuer_id(list_credential)
        if list_issuer != issuer:
            return f"it was issued by {list_issuer}, not by the credential's issuer {issuer}"
        results = data_integrity.verify_proofs(
            list_credential, self.key_resolver(issuer), now=self.now, canonicalizer=self.canon,
            signature_cache=self.status_list_cache,
        )
        if not results:
            return "it is not signed"
        failed = [r for r in results if not r.verified]
        if failed:
            return failed[0].reason
        return None

    def check_evidence(self, credential: Mapping[str, Any]) -> None:
        items = [e for e in as_list(credential.get("evidence")) if isinstance(e, Mapping)]
        digests: list[str] = []
        for item in items:
            for prop in ("digestMultibase",):
                for value in as_list(item.get(prop)):
                    digests.append(value)
        for related in as_list(credential.get("relatedResource")):
            if isinstance(related, Mapping):
                digests.extend(as_list(related.get("digestMultibase")))
        bad = []
        for value in digests:
            try:
                evidence.parse_digest_multibase(value)
            except (CredentialError, ValueError, TypeError):
                bad.append(value)
        if bad:
            self.add("evidence_digest", Outcome.FAILED, f"malformed evidence digest {bad[0]!r}")
            return
        if not self.evidence_files:
            if not digests:
                self.add("evidence_digest", Outcome.NOT_CHECKED, "the credential records no evidence digests")
            else:
                # Well-formed digests say nothing about any file until one is compared: never "passed".
                self.add("evidence_digest", Outcome.NOT_CHECKED,
                         f"not checked: give the files to compare ({len(digests)} evidence digest"
                         f"{'s' if len(digests) != 1 else ''} recorded)", digests=len(digests), awaiting_files=True)
            return
        # Each file gets its own verdict, by its name (``details["files"]``). A file that matches nothing is a
        # verdict on that file ("not the evidence the assessor scored"), not on the credential, whose own
        # verdict a wrong file must not change.
        files: list[dict[str, Any]] = []
        for given in self.evidence_files:
            hits = given.matches(credential) if digests else []
            files.append({"name": given.name, "matched": bool(hits),
                          "evidence": [h.evidence_name or h.evidence_id for h in hits]})
        matched = [f for f in files if f["matched"]]
        others = [f["name"] for f in files if not f["matched"]]
        if not digests:
            self.add("evidence_digest", Outcome.NOT_CHECKED, "the credential records no evidence digests, so the "
                     "files given cannot be compared with it", files=files)
        elif not matched:
            self.add("evidence_digest", Outcome.NOT_CHECKED,
                     "none of the files given is evidence this credential records: "
                     + ", ".join(others) + (" is" if len(others) == 1 else " are")
                     + " not the evidence the assessor scored", files=files)
        else:
            message = ("each file given is the evidence the assessor scored: " if not others
                       else "the evidence the assessor scored: ")
            message += "; ".join(f"{f['name']} ({', '.join(str(e) for e in f['evidence'])})" for f in matched)
            if others:
                message += ("; " + ", ".join(others) + (" is" if len(others) == 1 else " are")
                            + " not the evidence the assessor scored")
            self.add("evidence_digest", Outcome.PASSED, message, files=files,
                     matched=[e for f in matched for e in f["evidence"][:1]])

    def check_rubric(self, credential: Mapping[str, Any]) -> None:
        outcome = rubric.rubric_outcome(credential)
        if not outcome.criteria and not outcome.problems:
            self.add("rubric", Outcome.NOT_CHECKED, "the credential records no rubric results")
            return
        detail = [
            {"criterion": c.name, "achieved": c.achieved_level, "required": c.required_level, "met": c.met}
            for c in outcome.criteria
        ]
        if outcome.problems:
            self.add("rubric", Outcome.FAILED, outcome.problems[0].message, criteria=detail)
        elif outcome.met:
            self.add("rubric", Outcome.PASSED,
                     f"all {len(outcome.criteria)} rubric criteria met at or above the required level",
                     criteria=detail)
        else:
            below = [c for c in outcome.criteria if not c.met]
            self.add("rubric", Outcome.FAILED,
                     "below the required level: " + ", ".join(
                         f"{c.name} ({c.achieved_level}, needs {c.required_level})" for c in below),
                     criteria=detail)

    _GENUINE = ("parse", "context", "schema", "issuer_key", "proof", "endorsements")
    """The checks of an endorsement that say whether it is genuine; validity and status say whether it holds."""

    def check_endorsements(self, credential: Mapping[str, Any]) -> None:
        """Only for a credential that embeds endorsements (see the module docstring); others get no check."""
        found = embedded_endorsements(credential)
        if not found:
            return
        if len(found) > MAX_ENDORSEMENTS:
            self.add("endorsements", Outcome.FAILED,
                     f"the credential embeds {len(found)} endorsements; at most {MAX_ENDORSEMENTS} are checked, so "
                     "none was", limit=MAX_ENDORSEMENTS)
            return
        rows = [self._endorsement(item) for item in found]
        failed = [row for row in rows if row["outcome"] == Outcome.FAILED.value and not row.get("lapsed")]
        unchecked = [row for row in rows if row["outcome"] == Outcome.NOT_CHECKED.value]
        lapsed = [row for row in rows if row.get("lapsed")]

        def said(row: Mapping[str, Any]) -> str:
            return f"{row['where']} (by {row['issuer'] or 'an unnamed endorser'}): {row['message']}"

        n = len(rows)
        if failed:
            self.add("endorsements", Outcome.FAILED, f"{len(failed)} of {n} endorsements are not genuine: "
                     + "; ".join(said(row) for row in failed), endorsements=rows)
        elif unchecked:
            self.add("endorsements", Outcome.NOT_CHECKED, f"{len(unchecked)} of {n} endorsements could not be "
                     "fully checked: " + "; ".join(said(row) for row in unchecked), endorsements=rows)
        else:
            message = (f"{'the endorsement is' if n == 1 else f'all {n} endorsements are'} genuine: signed by "
                       "the endorser's key, unaltered, and about what they are attached to")
            if lapsed:
                warnings = [f"the endorsement {said(row)}; it no longer endorses" for row in lapsed]
                self.add("endorsements", Outcome.PASSED, message + "; warning: " + "; ".join(warnings),
                         endorsements=rows, warnings=warnings)
            else:
                self.add("endorsements", Outcome.PASSED, message, endorsements=rows)

    def _endorsement(self, item: EmbeddedEndorsement) -> dict[str, Any]:
        """One embedded endorsement verified as a credential: {where, id, issuer, outcome, message, checks,
        lapsed?}."""
        row: dict[str, Any] = {"where": item.where, "id": None, "issuer": None}
        if self.depth >= MAX_COMPONENT_DEPTH:
            row.update(outcome=Outcome.NOT_CHECKED.value,
                       message=f"endorsements nested deeper than {MAX_COMPONENT_DEPTH} are not followed")
            return row
        if self.consulted.endorsements_checked >= MAX_ENDORSEMENTS:
            # Bounded work: endorsements inside endorsements would otherwise multiply at every level.
            row.update(outcome=Outcome.NOT_CHECKED.value, message=f"not checked: one verification checks at most "
                                                                  f"{MAX_ENDORSEMENTS} endorsements, nested ones included")
            return row
        self.consulted.endorsements_checked += 1
        child = _Verifier(self.resolver, self.status_fetcher, self.now, self.inner_canon, (), "assertionMethod",
                          self.status_list_cache, None, None, self.depth + 1, self.document_cache, None,
                          self.consulted)
        report = _run(child, item.value)
        endorsement = report.credential or {}
        subject = next((s for s in as_list(endorsement.get("credentialSubject")) if isinstance(s, Mapping)), {})
        row.update(id=endorsement.get("id") if isinstance(endorsement.get("id"), str) else None,
                   issuer=issuer_id(endorsement), checks=[c.to_dict() for c in report.checks])
        problems = [f"{c.code}: {c.message}" for c in report.failed() if c.code in self._GENUINE]
        if report.credential is not None and ENDORSEMENT_TYPE not in as_list(endorsement.get("type")):
            problems.append("it is not an EndorsementCredential")
        if item.endorses is not None and subject.get("id") != item.endorses:
            problems.append(f"it endorses {subject.get('id')!r}, not {item.endorses}, which it is attached to")
        if problems:
            row.update(outcome=Outcome.FAILED.value, message="; ".join(problems))
            return row
        proof = report.check("proof")
        if proof is None or proof.outcome is not Outcome.PASSED:
            row.update(outcome=Outcome.NOT_CHECKED.value, message="its signature could not be checked")
            return row
        holds = [c for c in report.failed() if c.code in ("validity", "status")]
        if holds:
            row.update(outcome=Outcome.FAILED.value, lapsed=True, message="; ".join(c.message for c in holds))
            return row
        status = report.check("status")
        if status is not None and status.outcome is Outcome.NOT_CHECKED and endorsement.get("credentialStatus"):
            row.update(outcome=Outcome.NOT_CHECKED.value, message=f"status: {status.message}")
            return row
        row.update(outcome=Outcome.PASSED.value, message="verified (signature, endorser's key, validity, status)")
        return row

    def check_components(self, credential: Mapping[str, Any]) -> None:
        """Only for a credential that names components (see the module docstring); others get no check."""
        entries = component_entries(credential)
        if not entries:
            return
        if len(entries) > MAX_COMPONENTS:
            self.add("components", Outcome.FAILED,
                     f"the designation names {len(entries)} components; a designation may name at most "
                     f"{MAX_COMPONENTS}, so none was checked", limit=MAX_COMPONENTS)
            return
        results = [self._component(entry) for entry in entries]
        detail = [{"id": ident, "outcome": outcome.value, "message": message} for ident, outcome, message in results]
        failed = [f"{ident}: {message}" for ident, outcome, message in results if outcome is Outcome.FAILED]
        unchecked = [f"{ident}: {message}" for ident, outcome, message in results if outcome is Outcome.NOT_CHECKED]
        if failed:
            self.add("components", Outcome.FAILED,
                     f"{len(failed)} of {len(results)} components failed: " + "; ".join(failed), components=detail)
        elif unchecked:
            self.add("components", Outcome.NOT_CHECKED,
                     f"{len(unchecked)} of {len(results)} components could not be checked: " + "; ".join(unchecked),
                     components=detail)
        else:
            self.add("components", Outcome.PASSED,
                     f"all {len(results)} components verify and are the very credentials the issuer counted",
                     components=detail)

    def _component(self, entry: Mapping[str, Any]) -> tuple[str, Outcome, str]:
        """(component id, outcome, sentence) for one ``relatedResource`` entry that binds a component."""
        ident, recorded, media = entry.get("id"), entry.get("digestMultibase"), entry.get("mediaType")
        if not isinstance(ident, str) or not isinstance(recorded, str):
            return str(ident), Outcome.FAILED, "the designation names it without an id and a digestMultibase"
        if self.depth >= MAX_COMPONENT_DEPTH:
            return ident, Outcome.NOT_CHECKED, f"components nested deeper than {MAX_COMPONENT_DEPTH} are not followed"
        if self.consulted.components_checked >= MAX_COMPONENTS:
            return ident, Outcome.NOT_CHECKED, (f"not checked: one verification checks at most {MAX_COMPONENTS} "
                                                "components, nested designations' included")
        self.consulted.components_checked += 1
        value = self.presented_components.get(ident)
        stored = value is None
        if value is None:
            if self.component_fetcher is None:
                return ident, Outcome.NOT_CHECKED, "not presented with the designation"
            try:
                value = self.component_fetcher(ident)
            except Exception as exc:  # noqa: BLE001 - LookupError or any fetch failure: "could not be checked"
                return ident, Outcome.NOT_CHECKED, f"not presented with the designation, and not found: {exc}"
        form = _digest_form(value)
        if form is None:
            return ident, Outcome.FAILED, "what was given for it is not a credential"
        if component_media_type(form) != media:
            given = "a VC-JWT" if isinstance(form, str) else "a JSON-LD document"
            return ident, Outcome.NOT_CHECKED, (f"given as {given}, but the designation's digest covers its "
                                                f"{'VC-JWT' if media == JWT_MEDIA_TYPE else 'JSON-LD'} form")
        canon, remembered = self.inner_canon, None
        if stored and self.document_cache is not None:
            # The issuer's own copy: the same document at every verification, so what depends on nothing but
            # its exact bytes is remembered (what a holder presents is checked afresh: anyone can send anything).
            canon, remembered = _remembering(self.document_cache, self.inner_canon, form)
        try:
            matches = digest_matches(form, recorded, canonicalizer=canon)
        except (CredentialError, ValueError, TypeError):
            matches = False
        child = _Verifier(self.resolver, self.status_fetcher, self.now, self.inner_canon, (), "assertionMethod",
                          self.status_list_cache, self.presented_components, self.component_fetcher, self.depth + 1,
                          self.document_cache, canon, self.consulted, remembered,
                          qualification_fetcher=self.qualification_fetcher)
        report = _run(child, value)
        problems = [f"{c.code}: {c.message}" for c in report.failed()]
        if not matches:
            problems.insert(0, "its digest does not match the one the designation recorded: it is not the "
                               "credential the issuer counted")
        if problems:
            return ident, Outcome.FAILED, "; ".join(problems)
        if not report.verified:
            return ident, Outcome.NOT_CHECKED, "its signature could not be checked"
        incomplete = [c for c in report.checks if c.outcome is Outcome.NOT_CHECKED and (
            c.code == "components" or (c.code == "status" and report.credential is not None
                                       and report.credential.get("credentialStatus")))]
        if incomplete:
            return ident, Outcome.NOT_CHECKED, "; ".join(f"{c.code}: {c.message}" for c in incomplete)
        return ident, Outcome.PASSED, "verified (signature, status, validity) and its digest matches"


    def check_assessor_qualification(self, credential: Mapping[str, Any]) -> None:
        """Only for a credential that cites assessor qualifications (see the module docstring)."""
        references = qualification_references(credential)
        if not references:
            return
        v2 = as_list(credential.get("@context"))[:1] == [CREDENTIALS_V2]
        assessed = data_integrity.parse_datetime(credential.get("validFrom" if v2 else "issuanceDate"))
        if assessed is None:
            self.add("assessor_qualification", Outcome.FAILED,
                     "the credential has no valid validFrom, so the time of its assessment is unknown")
            return
        issuer = credential.get("issuer")
        parent = issuer.get("parentOrg") if isinstance(issuer, Mapping) else None
        accepted = {issuer_id(credential), parent.get("id") if isinstance(parent, Mapping) else parent} - {None}
        subject = next((s for s in as_list(credential.get("credentialSubject")) if isinstance(s, Mapping)), {})
        achievement = subject.get("achievement")
        achievement_id = achievement.get("id") if isinstance(achievement, Mapping) else None
        key_url = microcredential_key_url(achievement_id) if isinstance(achievement_id, str) else None
        rows = [self._qualification(ref, assessed, accepted, key_url) for ref in references]
        detail = [{k: v for k, v in row.items() if k != "warning"} for row in rows]
        warnings = [str(row["warning"]) for row in rows if row.get("warning")]
        failed = [f"{row['id']}: {row['message']}" for row in rows if row["outcome"] == Outcome.FAILED.value]
        unchecked = [f"{row['id']}: {row['message']}" for row in rows if row["outcome"] == Outcome.NOT_CHECKED.value]
        when = data_integrity.format_datetime(assessed)
        if failed:
            self.add("assessor_qualification", Outcome.FAILED,
                     f"{len(failed)} of {len(rows)} assessor qualifications did not hold at the assessment ({when}): "
                     + "; ".join(failed), qualifications=detail, assessed_at=when)
        elif unchecked:
            self.add("assessor_qualification", Outcome.NOT_CHECKED,
                     f"{len(unchecked)} of {len(rows)} assessor qualifications could not be checked: "
                     + "; ".join(unchecked), qualifications=detail, assessed_at=when)
        else:
            who = ", ".join(str(row.get("assessor")) for row in rows)
            message = (f"scored by {'a qualified assessor' if len(rows) == 1 else f'{len(rows)} qualified assessors'}"
                       f" ({who}): each qualification verifies, was issued for this micro-credential by the "
                       f"issuer, and was valid and not revoked at the assessment ({when})")
            if warnings:
                message += "; warning: " + "; ".join(warnings)
                self.add("assessor_qualification", Outcome.PASSED, message, qualifications=detail,
                         assessed_at=when, warnings=warnings)
            else:
                self.add("assessor_qualification", Outcome.PASSED, message, qualifications=detail, assessed_at=when)

    def _qualification(self, ref: QualificationReference, assessed: datetime, accepted: set[Any],
                       key_url: str | None) -> dict[str, Any]:
        """One cited qualification: {id, outcome, message, assessor?, revoked_from?, warning?}."""
        row: dict[str, Any] = {"id": ref.id}

        def done(outcome: Outcome, message: str) -> dict[str, Any]:
            row.update(outcome=outcome.value, message=message)
            return row

        if self.qualification_fetcher is None:
            return done(Outcome.NOT_CHECKED, "no source of qualifications was given to the verifier")
        try:
            record = self.qualification_fetcher(ref.id)
        except Exception as exc:  # noqa: BLE001 - LookupError or any fetch failure: "could not be checked"
            return done(Outcome.NOT_CHECKED, f"not found: {exc}")
        document = record.document
        if not isinstance(document, Mapping):
            return done(Outcome.FAILED, "what was found for it is not a credential")
        try:
            matches = _same_digest(qualification_digest(document), ref.digest)
        except (CredentialError, ValueError, TypeError):
            matches = False
        if not matches:
            return done(Outcome.FAILED, "its digest does not match the one the award recorded: it is not the "
                                        "qualification the issuer cited")
        about = qualification_subject(document)
        row["assessor"] = about.name or about.pseudonym
        # Verified now, as any credential (signature, key, schema, status); validity is judged at the assessment.
        # The issuer's own copy is the same document at every verification: what depends on its exact bytes
        # alone is remembered, as for a designation's stored components.
        canon, remembered = self.inner_canon, None
        if self.document_cache is not None:
            canon, remembered = _remembering(self.document_cache, self.inner_canon, document)
        child = _Verifier(self.resolver, self.status_fetcher, self.now, self.inner_canon, (), "assertionMethod",
                          self.status_list_cache, document_cache=self.document_cache, own_canon=canon,
                          consulted=self.consulted, remembered=remembered)
        report = _run(child, document)
        problems = [f"{c.code}: {c.message}" for c in report.failed() if c.code not in ("status", "validity")]
        if problems:
            return done(Outcome.FAILED, "it does not verify: " + "; ".join(problems))
        proof = report.check("proof")
        if proof is None or proof.outcome is not Outcome.PASSED:
            return done(Outcome.NOT_CHECKED, "its signature could not be checked")
        qualifier = issuer_id(document)
        if qualifier not in accepted:
            return done(Outcome.FAILED, f"it was issued by {qualifier}, not by the award's issuer")
        if about.achievement_type != QUALIFICATION_ACHIEVEMENT_TYPE or key_url is None or key_url not in about.aligned_to:
            return done(Outcome.FAILED, "it is not a qualification to assess this micro-credential")
        start, end_raw = data_integrity.parse_datetime(document.get("validFrom")), document.get("validUntil")
        end = data_integrity.parse_datetime(end_raw) if end_raw is not None else None
        if start is None or start > assessed or (end_raw is not None and (end is None or end < assessed)):
            return done(Outcome.FAILED, "it was not valid at the time of the assessment (valid "
                                        f"{document.get('validFrom')} to {document.get('validUntil', 'no end')})")
        status = report.check("status")
        revoked_now = status is not None and status.outcome is Outcome.FAILED and status.details.get(
            "purpose") == "revocation"
        if status is not None and status.outcome is Outcome.FAILED and not revoked_now:
            return done(Outcome.FAILED, f"its status cannot be trusted: {status.message}")
        if record.revoked_from is not None or revoked_now:
            if record.revoked_from is None:
                return done(Outcome.NOT_CHECKED, "its issuer revoked it, and nobody could say since when"
                            if record.revocation_known else "revoked, from a date the source cannot tell")
            since = data_integrity.format_datetime(record.revoked_from)
            row["revoked_from"] = since
            if record.revoked_from <= assessed:
                return done(Outcome.FAILED, f"it stands revoked from {since}, before the assessment")
            row["warning"] = f"the qualification of {row['assessor']} was revoked on {since}, after the assessment"
            return done(Outcome.PASSED, f"valid at the assessment; revoked since {since}")
        if status is None or status.outcome is Outcome.NOT_CHECKED:
            return done(Outcome.NOT_CHECKED, "whether it was revoked could not be checked"
                        + (f" ({status.message})" if status is not None else ""))
        return done(Outcome.PASSED, "valid at the assessment and not revoked")


def _same_digest(actual: str, recorded: str) -> bool:
    """Two spellings (base64url, base58btc) of one multihash are the same digest."""
    a_alg, a_raw = evidence.parse_digest_multibase(actual)
    r_alg, r_raw = evidence.parse_digest_multibase(recorded)
    return a_alg == r_alg and hmac.compare_digest(a_raw, r_raw)


def _digest_form(value: Any) -> Mapping[str, Any] | str | None:
    """A component as its digest covers it: the JSON-LD document, or the compact VC-JWT (even if enveloped)."""
    doc, token, _ = _parse(value)
    return token if token is not None else doc


def _credential_id(value: Any) -> str | None:
    """The ``id`` of a credential (a JSON-LD document, or a VC-JWT's ``vc``/payload ``id`` or ``jti``), unverified."""
    doc, token, _ = _parse(value)
    if token is not None:
        try:
            _, claims = jwt.parse_unverified(token)
        except CredentialError:
            return None
        if not isinstance(claims, Mapping):
            return None
        vc_claim = claims.get("vc")
        inner: Mapping[str, Any] = vc_claim if isinstance(vc_claim, Mapping) else claims
        ident = inner.get("id") or claims.get("jti")
    else:
        ident = doc.get("id") if doc is not None else None
    return ident if isinstance(ident, str) else None


def verify(
    credential: Any,
    *,
    resolver: DidResolver,
    now: datetime,
    status_fetcher: StatusFetcher | None = None,
    canonicalizer: Canonicalizer | None = None,
    evidence_files: Iterable[bytes | evidence.GivenFile] = (),
    expected_purpose: str = "assertionMethod",
    check_schema: bool = True,
    status_list_cache: MutableMapping[bytes, bool] | None = None,
    presented_components: Iterable[Mapping[str, Any] | str] = (),
    component_fetcher: ComponentFetcher | None = None,
    document_cache: DocumentCache | None = None,
    remember_document: bool = False,
    qualification_fetcher: QualificationFetcher | None = None,
) -> VerificationReport:
    """Verify a credential (a dict, JSON text, a compact VC-JWT, or an EnvelopedVerifiableCredential).

    Never raises for a bad credential: the report says what failed. ``now`` must be timezone-aware.
    ``status_list_cache`` (a bounded mapping the caller keeps across calls) lets the signatures of status
    lists, which every credential of an issuer shares, be checked once (see ``verify_proofs``).
    ``presented_components`` (credentials the holder gave with a designation, found by their ``id``) and
    ``component_fetcher`` (the issuer's own store) serve the ``components`` check; a component found in
    neither is "could not be checked". ``document_cache`` (a bounded mapping the caller keeps across calls,
    safe to share between threads) remembers, for the components ``component_fetcher`` gave (and for the
    credential itself with ``remember_document``: one the caller reads again and again, such as a state's
    registry), what depends on the exact document alone, found by its exact JSON: its canonical forms, its
    signature for a given key, its schema, evidence and rubric checks. A designation verified again
    canonicalizes none of its stored components again; the key's binding, the proof's dates, validity and
    status are checked at every call. ``qualification_fetcher`` serves the
    ``assessor_qualification`` check.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    by_id: dict[str, Mapping[str, Any] | str] = {}
    for value in presented_components:
        ident = _credential_id(value)
        if ident is not None:
            by_id.setdefault(ident, value)
    canon = canonicalizer or default_canonicalizer()
    own_canon: Canonicalizer | None = None
    remembered: _Remembered | None = None
    if remember_document and document_cache is not None:
        form = _digest_form(credential)
        if form is not None:
            own_canon, remembered = _remembering(document_cache, canon, form)
    v = _Verifier(resolver, status_fetcher, now, canon, evidence_files, expected_purpose, status_list_cache,
                  by_id, component_fetcher, document_cache=document_cache, own_canon=own_canon,
                  remembered=remembered, qualification_fetcher=qualification_fetcher)
    return _run(v, credential, check_schema=check_schema)


def _run(v: _Verifier, credential: Any, *, check_schema: bool = True) -> VerificationReport:
    """Every check of one credential with the verifier's collaborators (also for each component)."""
    resolver, now = v.resolver, v.now
    doc, token, fmt = _parse(credential)
    if doc is None and token is None and fmt == "enveloped":
        v.add("parse", Outcome.FAILED,
              f"not a conforming EnvelopedVerifiableCredential: its @context must start with {CREDENTIALS_V2} and "
              "its id must be a data: URL holding a compact VC-JWT")
        return VerificationReport(tuple(v.checks), None, fmt)
    if doc is None and token is None and fmt == "too_deep":
        v.add("parse", Outcome.FAILED, f"the credential nests deeper than {MAX_DOCUMENT_DEPTH} levels, which no "
                                       "credential does; it was not read")
        return VerificationReport(tuple(v.checks), None, "json")
    if doc is None and token is None:
        fmt, _, why = fmt.partition(": ")
        v.add("parse", Outcome.FAILED,
              "not a credential: expected a JSON object, a compact VC-JWT, or an EnvelopedVerifiableCredential"
              + (f"; {why}" if why else ""))
        return VerificationReport(tuple(v.checks), None, fmt)

    jwt_result: jwt.JwtVerification | None = None
    jwt_error: str | None = None
    jwt_key_error = False
    if token is not None:
        try:
            jwt_result = jwt.decode_vc_jwt(token, resolver, now=now)
            doc = jwt_result.credential
        except CredentialError as exc:
            jwt_error = str(exc)
            jwt_key_error = isinstance(exc, JwtKeyError)
            try:
                _, claims = jwt.parse_unverified(token)
                doc = claims.get("vc") if isinstance(claims.get("vc"), Mapping) else claims
            except CredentialError:
                v.add("parse", Outcome.FAILED, f"not a readable VC-JWT: {exc}")
                return VerificationReport(tuple(v.checks), None, fmt)
    assert doc is not None
    if token is not None and _deeper_than(doc, MAX_DOCUMENT_DEPTH):  # a JSON document was bounded in _parse
        v.add("parse", Outcome.FAILED, f"the credential nests deeper than {MAX_DOCUMENT_DEPTH} levels, which no "
                                       "credential does; it was not read")
        return VerificationReport(tuple(v.checks), None, fmt)
    if not isinstance(doc.get("type"), (list, str)) or "VerifiableCredential" not in as_list(doc.get("type")):
        v.add("parse", Outcome.FAILED, "the document is not a VerifiableCredential (its type says otherwise)")
        return VerificationReport(tuple(v.checks), doc, fmt)
    v.add("parse", Outcome.PASSED, "a JSON-LD verifiable credential" if fmt == "json" else "a VC-JWT")

    context_ok = v.check_context(doc)
    if check_schema:
        v.once_per_document("schema", lambda: v.check_schema(doc))
    if token is not None:
        if jwt_result is not None:
            v.add("issuer_key", Outcome.PASSED,
                  f"signed with {jwt_result.verification_method}, a key the issuer lists for assertionMethod")
            alg = jwt_result.header.get("alg")
            v.add("proof", Outcome.PASSED, f"the JOSE {alg} signature is valid: the credential is what the issuer signed",
                  suites=[f"JOSE {alg}"])
        else:
            if jwt_key_error:
                v.add("issuer_key", Outcome.FAILED, jwt_error or "the key is not the issuer's")
                v.add("proof", Outcome.NOT_CHECKED, "the signature was not checked: its key is not the issuer's")
            else:
                v.add("issuer_key", Outcome.NOT_CHECKED, "the token was rejected before its key was checked")
                v.add("proof", Outcome.FAILED, jwt_error or "the token is not valid")
    else:
        v.check_data_integrity(doc, context_ok)
    v.check_validity(doc)
    v.check_status(doc)
    v.once_per_document("evidence_digest", lambda: v.check_evidence(doc))
    v.once_per_document("rubric", lambda: v.check_rubric(doc))
    v.check_endorsements(doc)
    v.check_components(doc)
    v.check_assessor_qualification(doc)
    return VerificationReport(tuple(v.checks), doc, fmt)
