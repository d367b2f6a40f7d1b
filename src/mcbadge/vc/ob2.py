"""Open Badges 2.0 assertions: verified as the 1EdTech Open Badges 2.0 specification says, with the report
shape of :mod:`mcbadge.vc.verify` (named checks, each passed, failed or not checked).

Most platforms still issue Open Badges 2.0, and teachers carry such badges for years. An assertion is
*hosted* (``verification.type`` ``HostedBadge``, or ``hosted``) or *signed* (``SignedBadge``, or ``signed``):

Hosted
    The assertion is what the issuer's web server serves at the assertion's ``id``: it is fetched there and
    that copy is the one verified (a copy given by the holder that differs from it in what it says of whom or
    what, ``_MATERIAL``, was changed; an older copy may differ in the rest). The ``id``
    must be on the issuer's web site: by default the origin (scheme, host, port) of the issuer profile's
    ``id``; an issuer profile's own ``verification`` object may widen that to ``allowedOrigins`` (hosts) or
    narrow it to ``startsWith`` (URL prefixes). A server that answers ``410 Gone``, or an assertion marked
    ``revoked``, means revoked. There is no signature: **a hosted badge is only as trustworthy as the
    issuer's web server**, and the report says so (``assurance``).
Signed
    The assertion is a JWS (compact serialization) whose payload is the assertion; ``RS256`` is the one
    algorithm Open Badges 2.0 signs with (the 1EdTech validator verifies nothing else), so any other ``alg``
    (``none``, HMAC, ...) is refused before a key is looked at. The key is the ``CryptographicKey`` document
    at ``verification.creator`` (its ``publicKeyPem``), fetched from the issuer's site; it counts as the
    issuer's only when its ``owner`` is the issuer profile's ``id`` and that profile lists it in its
    ``publicKey``. Revocation is the issuer's ``revocationList`` (a ``RevocationList`` whose
    ``revokedAssertions`` name assertion ids, or objects with an ``id`` and a ``revocationReason``).

The badge class (``badge``) and the issuer profile (its ``issuer``) are fetched when they are given as URLs.
Every fetch goes through ``fetch`` (the caller's guarded client: this module does no I/O) at most once per
URL, and at most :data:`MAX_FETCHES` times in all.

The checks, in order: ``parse`` (an OB 2.0 assertion, and which kind), ``badge_class`` (the badge class and
its issuer profile are readable and the issuer is named), ``hosted`` (hosted: the issuer's server serves this
exact assertion at an address the issuer allows) or ``issuer_key`` and ``proof`` (signed), ``validity``
(``issuedOn`` / ``expires``), ``status`` (revocation), and ``recipient`` when the verifier typed an identifier.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

from jwcrypto import jwk as jose_jwk
from jwcrypto import jws as jose_jws
from jwcrypto.common import JWException, base64url_decode

from .data_integrity import format_datetime, parse_datetime
from .json_values import DuplicateMember, as_list, strict_loads
from .recipient import ob2_recipient_check
from .verify import Check, Outcome, VerificationReport

__all__ = [
    "MAX_FETCHES",
    "OB2_CONTEXT",
    "Gone",
    "Ob2Fetcher",
    "is_ob2",
    "verify_assertion",
]

OB2_CONTEXT = "https://w3id.org/openbadges/v2"
SIGNING_ALGORITHM = "RS256"
MAX_FETCHES = 6
"""Documents one verification may fetch: the assertion, its badge class, the issuer profile, the key, the
revocation list (and one to spare)."""
MIN_RSA_BITS = 2048
_MATERIAL = frozenset({"recipient", "badge", "issuedOn", "expires", "verification", "evidence", "narrative"})
"""What an assertion states about whom and what: a copy that differs from the hosted one in any of these was
changed (in anything else, an older copy of a hosted assertion may differ from today's without a forgery)."""

HOSTED_ASSURANCE = (
    "This is a hosted Open Badges 2.0 badge: it carries no signature, so it is only as trustworthy as the "
    "issuer's web server ({origin}). Whoever controls that server can change, add or remove such badges.")
SIGNED_ASSURANCE = (
    "This is a signed Open Badges 2.0 badge: its RS256 signature shows it was not changed since it was signed, "
    "with a key the issuer publishes on its web server ({origin}); the key is trusted as far as that server is.")


class Gone(Exception):
    """Raised by an :data:`Ob2Fetcher` when the server answers ``410 Gone`` (for an assertion: revoked)."""


Ob2Fetcher = Callable[[str], Any]
"""``fetch(url)`` -> the JSON document at ``url`` (a mapping). Raises :class:`Gone` for HTTP 410, and any other
exception (its message one readable line) when the document cannot be fetched."""


# -- telling an OB 2.0 assertion apart ------------------------------------------------------------------------


def _is_assertion(value: Any) -> bool:
    if not isinstance(value, Mapping):
        return False
    contexts = as_list(value.get("@context"))
    if OB2_CONTEXT in contexts or any(isinstance(c, str) and c.startswith(OB2_CONTEXT) for c in contexts):
        return True
    # Without the context: the shape only an OB 2.0 assertion has (a VC is never typed "Assertion").
    return "Assertion" in as_list(value.get("type")) and "badge" in value and "recipient" in value


def _jws_parts(token: str) -> tuple[dict[str, Any], Any] | None:
    """(header, payload) of a compact JWS, unverified; None when it is not one."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        return None
    try:
        header = strict_loads(base64url_decode(parts[0]))
        payload = strict_loads(base64url_decode(parts[1]))
    except (ValueError, DuplicateMember, UnicodeDecodeError, TypeError):
        return None
    return (header, payload) if isinstance(header, dict) else None


def _is_url(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower().startswith(("https://", "http://")) \
        and not any(c.isspace() for c in value.strip())


def is_ob2(value: Any) -> bool:
    """Whether ``value`` is an Open Badges 2.0 assertion: its JSON, its JWS (a signed assertion), or a URL (what
    an OB 2.0 baked image may hold instead: the hosted assertion's address)."""
    if _is_assertion(value):
        return True
    if isinstance(value, str):
        if _is_url(value):
            return True
        parts = _jws_parts(value)
        return parts is not None and _is_assertion(parts[1])
    return False


# -- verifying --------------------------------------------------------------------------------------------------


@dataclass
class _Run:
    fetch: Ob2Fetcher
    now: datetime
    checks: list[Check] = field(default_factory=list)
    fetched: dict[str, Any] = field(default_factory=dict)

    def add(self, code: str, outcome: Outcome, message: str, **details: Any) -> None:
        self.checks.append(Check(code, outcome, message, details))

    def get(self, url: str) -> Any:
        """The document at ``url`` (once per URL); raises what the fetcher raised, or LookupError past the cap."""
        if url not in self.fetched:
            if len(self.fetched) >= MAX_FETCHES:
                self.fetched[url] = LookupError(f"more than {MAX_FETCHES} documents would have to be fetched")
            else:
                try:
                    self.fetched[url] = self.fetch(url)
                except Exception as exc:  # noqa: BLE001 - Gone, or any fetch failure: kept, and raised again
                    self.fetched[url] = exc
        found = self.fetched[url]
        if isinstance(found, Exception):
            raise found
        return found

    def report(self, document: Mapping[str, Any] | None, assurance: str | None = None) -> VerificationReport:
        return VerificationReport(tuple(self.checks), document, "ob2", assurance=assurance)


def _verification_type(assertion: Mapping[str, Any]) -> str | None:
    verification = assertion.get("verification")
    kind = verification.get("type") if isinstance(verification, Mapping) else None
    return {"hostedbadge": "hosted", "hosted": "hosted", "signedbadge": "signed", "signed": "signed"}.get(
        kind.lower() if isinstance(kind, str) else "")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def _time(value: Any) -> datetime | None:
    """An OB 2.0 DateTime: ISO 8601 with a time zone (one without is read as UTC, as OB 2.0 examples are)."""
    parsed = parse_datetime(value)
    if parsed is not None or not isinstance(value, str):
        return parsed
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        return None
    return naive if naive.tzinfo else naive.replace(tzinfo=timezone.utc)


def verify_assertion(value: Any, *, fetch: Ob2Fetcher, now: datetime, recipient: str | None = None
                     ) -> VerificationReport:
    """Verify an Open Badges 2.0 assertion (its JSON, its compact JWS, or its URL) with the documents ``fetch``
    gives. Never raises for a bad assertion: the report says what failed. ``now`` must be timezone-aware.
    The report's ``credential`` is the assertion as verified, with its badge class (and that class's issuer
    profile) embedded when they could be read; its ``assurance`` says what a hosted or signed badge rests on."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    run = _Run(fetch, now)
    token: str | None = None
    given: Mapping[str, Any] | None = None
    if isinstance(value, str) and _is_url(value):
        url = value.strip()
        try:
            fetched = run.get(url)
        except Gone:
            run.add("parse", Outcome.PASSED, f"{url} answers 410 Gone, which Open Badges 2.0 defines for a hosted "
                                             "assertion its issuer revoked")
            run.add("hosted", Outcome.NOT_CHECKED, "the issuer's server no longer serves this assertion")
            run.add("status", Outcome.FAILED, "revoked: the issuer's server answers 410 Gone for this assertion",
                    purpose="revocation")
            return run.report(None)
        except Exception as exc:  # noqa: BLE001 - any fetch failure: the address gave no assertion
            run.add("parse", Outcome.FAILED, f"no Open Badges 2.0 assertion could be fetched from {url}: {exc}")
            return run.report(None)
        if isinstance(fetched, str) and _jws_parts(fetched) is not None:
            token = fetched
        elif _is_assertion(fetched):
            given = fetched
        else:
            run.add("parse", Outcome.FAILED, f"what {url} serves is not an Open Badges 2.0 assertion")
            return run.report(None)
    elif isinstance(value, str):
        token = value.strip()
    elif isinstance(value, Mapping):
        given = value
    if token is not None:
        parts = _jws_parts(token)
        if parts is None or not isinstance(parts[1], Mapping) or not _is_assertion(parts[1]):
            run.add("parse", Outcome.FAILED, "not an Open Badges 2.0 assertion: the JWS does not hold one")
            return run.report(None)
        given = parts[1]
    if given is None or not _is_assertion(given):
        run.add("parse", Outcome.FAILED, "not an Open Badges 2.0 assertion")
        return run.report(None)

    kind = _verification_type(given)
    missing = [name for name in ("id", "recipient", "badge", "verification", "issuedOn") if not given.get(name)]
    if kind is None:
        run.add("parse", Outcome.FAILED, "an Open Badges 2.0 assertion whose verification type is neither "
                                         "HostedBadge nor SignedBadge")
        return run.report(given)
    if missing:
        run.add("parse", Outcome.FAILED, f"an Open Badges 2.0 assertion without {', '.join(missing)}")
        return run.report(given)
    if kind == "signed" and token is None:
        run.add("parse", Outcome.FAILED, "a signed Open Badges 2.0 assertion must be given as its JWS (the baked "
                                         "image, or the compact token): its JSON alone carries no signature")
        return run.report(given)
    run.add("parse", Outcome.PASSED, f"an Open Badges 2.0 assertion ({kind})")
    return _verify_hosted(run, given, recipient) if kind == "hosted" else _verify_signed(run, given, token or "",
                                                                                         recipient)


def _badge_and_issuer(run: _Run, assertion: Mapping[str, Any]
                      ) -> tuple[dict[str, Any] | None, dict[str, Any] | None, str | None]:
    """(badge class, issuer profile, why not) with the ``badge_class`` check added."""
    badge_ref = assertion.get("badge")
    try:
        badge = run.get(badge_ref) if isinstance(badge_ref, str) else badge_ref
    except Exception as exc:  # noqa: BLE001 - any fetch failure
        run.add("badge_class", Outcome.NOT_CHECKED, f"the badge class could not be fetched: {exc}")
        return None, None, "the badge class could not be fetched"
    if not isinstance(badge, Mapping) or "BadgeClass" not in as_list(badge.get("type")):
        run.add("badge_class", Outcome.FAILED, "the assertion's badge is not an Open Badges 2.0 BadgeClass")
        return None, None, "the badge class is not readable"
    issuer_ref = badge.get("issuer")
    try:
        issuer = run.get(issuer_ref) if isinstance(issuer_ref, str) else issuer_ref
    except Exception as exc:  # noqa: BLE001 - any fetch failure
        run.add("badge_class", Outcome.NOT_CHECKED, f"the issuer's profile could not be fetched: {exc}")
        return dict(badge), None, "the issuer's profile could not be fetched"
    types = as_list(issuer.get("type")) if isinstance(issuer, Mapping) else []
    if not isinstance(issuer, Mapping) or not ({"Issuer", "Profile"} & set(types)) or not _is_url(issuer.get("id")):
        run.add("badge_class", Outcome.FAILED, "the badge class's issuer is not an Open Badges 2.0 issuer profile "
                                               "with an http(s) id")
        return dict(badge), None, "the issuer's profile is not readable"
    if isinstance(issuer_ref, str) and issuer.get("id") != issuer_ref:
        run.add("badge_class", Outcome.FAILED, f"the issuer profile at {issuer_ref} names itself {issuer.get('id')}")
        return dict(badge), None, "the issuer's profile does not name itself"
    name = issuer.get("name") if isinstance(issuer.get("name"), str) else issuer["id"]
    run.add("badge_class", Outcome.PASSED,
            f"the badge \u201c{badge.get('name', 'unnamed')}\u201d, issued by {name} ({issuer['id']})")
    return dict(badge), dict(issuer), None


def _allowed(assertion_id: str, issuer: Mapping[str, Any]) -> tuple[bool, str]:
    """Whether the issuer's profile allows its assertions to be hosted at ``assertion_id``, and the rule said."""
    rules = issuer.get("verification")
    rules = rules if isinstance(rules, Mapping) else {}
    starts = [s for s in as_list(rules.get("startsWith")) if isinstance(s, str) and s]
    origins = [o for o in as_list(rules.get("allowedOrigins")) if isinstance(o, str) and o]
    if starts:
        return any(assertion_id.startswith(s) for s in starts), "the addresses its profile allows (startsWith)"
    host = urlsplit(assertion_id).netloc.lower()
    if origins:
        return host in {o.lower() for o in origins}, "the hosts its profile allows (allowedOrigins)"
    return _origin(assertion_id) == _origin(str(issuer["id"])), f"the issuer's own site ({_origin(str(issuer['id']))})"


def _embedded(assertion: Mapping[str, Any], badge: Mapping[str, Any] | None, issuer: Mapping[str, Any] | None
              ) -> dict[str, Any]:
    document = dict(assertion)
    if badge is not None:
        document["badge"] = {**badge, **({"issuer": issuer} if issuer is not None else {})}
    return document


def _verify_hosted(run: _Run, given: Mapping[str, Any], recipient: str | None) -> VerificationReport:
    assertion_id = str(given["id"])
    badge, issuer, why = _badge_and_issuer(run, given)
    origin = _origin(assertion_id)
    hosted: Mapping[str, Any] | None = None
    gone = False
    if not _is_url(assertion_id):
        run.add("hosted", Outcome.FAILED, "a hosted assertion's id must be the http(s) address it is hosted at")
    elif issuer is None:
        run.add("hosted", Outcome.NOT_CHECKED, f"where the issuer hosts its badges is not known: {why}")
    else:
        allowed, rule = _allowed(assertion_id, issuer)
        if not allowed:
            run.add("hosted", Outcome.FAILED, f"the assertion is hosted at {origin}, outside {rule}: it is not "
                                              "the issuer's")
        else:
            try:
                fetched = run.get(assertion_id)
            except Gone:
                gone = True
                run.add("hosted", Outcome.NOT_CHECKED, "the issuer's server no longer serves this assertion")
            except Exception as exc:  # noqa: BLE001 - any fetch failure
                run.add("hosted", Outcome.NOT_CHECKED, f"the hosted assertion could not be fetched: {exc}")
            else:
                changed = sorted(n for n in set(given) | set(fetched) if given.get(n) != fetched.get(n)) \
                    if isinstance(fetched, Mapping) else []
                if not isinstance(fetched, Mapping) or fetched.get("id") != assertion_id:
                    run.add("hosted", Outcome.FAILED, f"{assertion_id} does not serve this assertion")
                elif set(changed) & _MATERIAL:
                    run.add("hosted", Outcome.FAILED, "the assertion given differs from the one the issuer's server "
                            f"hosts at {assertion_id} in {', '.join(n for n in changed if n in _MATERIAL)}: it was "
                            "changed")
                else:
                    # The hosted copy is the assertion (OB 2.0): what else an older copy says differently (an image
                    # the issuer moved, a revocation flag) is not a forgery, and the hosted copy is what is shown.
                    hosted = fetched
                    note = (f"; the copy given differs in {', '.join(changed)}, and the issuer's copy is the one "
                            "verified" if changed else "")
                    run.add("hosted", Outcome.PASSED, "the issuer's server serves this assertion at its id, within "
                                                      f"{rule}{note}")
    assertion = hosted or given
    _validity(run, assertion)
    if gone:
        run.add("status", Outcome.FAILED, "revoked: the issuer's server answers 410 Gone for this assertion",
                purpose="revocation")
    elif hosted is not None and hosted.get("revoked") is True:
        reason = hosted.get("revocationReason")
        run.add("status", Outcome.FAILED, "revoked by the issuer" + (f": {reason}" if isinstance(reason, str) else ""),
                purpose="revocation")
    elif hosted is None:
        run.add("status", Outcome.NOT_CHECKED, "whether it was revoked could not be checked: the issuer's server "
                                               "did not serve it")
    else:
        _revocation_list(run, assertion, issuer, hosted_ok=True)
    if recipient:
        run.checks.append(ob2_recipient_check(assertion, recipient))
    return run.report(_embedded(assertion, badge, issuer), HOSTED_ASSURANCE.format(origin=origin))


def _verify_signed(run: _Run, given: Mapping[str, Any], token: str, recipient: str | None) -> VerificationReport:
    badge, issuer, why = _badge_and_issuer(run, given)
    verification = given.get("verification")
    creator = verification.get("creator") if isinstance(verification, Mapping) else None
    header = (_jws_parts(token) or ({}, None))[0]
    key_url = creator if isinstance(creator, str) else None
    if key_url is None and issuer is not None:
        listed = [k if isinstance(k, str) else k.get("id") for k in as_list(issuer.get("publicKey"))
                  if isinstance(k, (str, Mapping))]
        key_url = listed[0] if len(listed) == 1 and isinstance(listed[0], str) else None
    origin = _origin(key_url) if key_url else "unknown"
    key: jose_jwk.JWK | None = None
    if header.get("alg") != SIGNING_ALGORITHM:
        # Before any key is fetched: "none", HMAC with a public key and the like are never tried.
        run.add("issuer_key", Outcome.NOT_CHECKED, "the signature's algorithm is refused, so no key was looked up")
        run.add("proof", Outcome.FAILED, f"Open Badges 2.0 assertions are signed with {SIGNING_ALGORITHM}; this "
                                         f"one says {header.get('alg')!r}")
    elif issuer is None:
        run.add("issuer_key", Outcome.NOT_CHECKED, f"the issuer's keys are not known: {why}")
        run.add("proof", Outcome.NOT_CHECKED, "the signature was not checked: the issuer's key is not known")
    elif key_url is None:
        run.add("issuer_key", Outcome.FAILED, "the assertion names no key (verification.creator), and the issuer "
                                              "does not list exactly one")
        run.add("proof", Outcome.NOT_CHECKED, "the signature was not checked: no key")
    else:
        key, problem = _issuer_key(run, key_url, issuer)
        if key is None:
            outcome = Outcome.NOT_CHECKED if problem.startswith("the key could not be fetched") else Outcome.FAILED
            run.add("issuer_key", outcome, problem)
            run.add("proof", Outcome.NOT_CHECKED, "the signature was not checked: the key is not the issuer's")
        else:
            run.add("issuer_key", Outcome.PASSED, f"signed with {key_url}, a key the issuer's profile lists as its own")
            try:
                signed = jose_jws.JWS()
                signed.deserialize(token.strip())
                signed.allowed_algs = [SIGNING_ALGORITHM]
                signed.verify(key, alg=SIGNING_ALGORITHM)
            except (JWException, ValueError, TypeError) as exc:
                run.add("proof", Outcome.FAILED, f"the signature is not valid: the assertion was changed, or not "
                                                 f"signed with this key ({type(exc).__name__})")
            else:
                run.add("proof", Outcome.PASSED, f"the {SIGNING_ALGORITHM} signature is valid: the assertion is "
                                                 "exactly what the issuer signed")
    _validity(run, given)
    _revocation_list(run, given, issuer, hosted_ok=False)
    if recipient:
        run.checks.append(ob2_recipient_check(given, recipient))
    return run.report(_embedded(given, badge, issuer), SIGNED_ASSURANCE.format(origin=origin))


def _issuer_key(run: _Run, key_url: str, issuer: Mapping[str, Any]) -> tuple[jose_jwk.JWK | None, str]:
    """The RSA public key at ``key_url`` when it is the issuer's; else (None, why not)."""
    try:
        document = run.get(key_url)
    except Exception as exc:  # noqa: BLE001 - any fetch failure
        return None, f"the key could not be fetched from {key_url}: {exc}"
    if not isinstance(document, Mapping) or not isinstance(document.get("publicKeyPem"), str):
        return None, f"{key_url} is not a CryptographicKey with a publicKeyPem"
    if document.get("id") not in (None, key_url):
        return None, f"the key at {key_url} names itself {document.get('id')}"
    if document.get("owner") != issuer.get("id"):
        return None, f"the key {key_url} belongs to {document.get('owner')}, not to the issuer {issuer.get('id')}"
    listed = {k if isinstance(k, str) else k.get("id") for k in as_list(issuer.get("publicKey"))
              if isinstance(k, (str, Mapping))}
    if key_url not in listed:
        return None, f"the issuer's profile does not list the key {key_url} among its public keys"
    try:
        key = jose_jwk.JWK.from_pem(document["publicKeyPem"].encode("utf-8"))
    except (JWException, ValueError, TypeError):
        return None, f"the key at {key_url} is not a readable PEM public key"
    if key.get("kty") != "RSA" or key.has_private:
        return None, f"the key at {key_url} is not an RSA public key, which {SIGNING_ALGORITHM} needs"
    if len(base64url_decode(str(key.get("n")))) * 8 < MIN_RSA_BITS:
        return None, f"the key at {key_url} is shorter than {MIN_RSA_BITS} bits"
    return key, ""


def _validity(run: _Run, assertion: Mapping[str, Any]) -> None:
    issued_raw, expires_raw = assertion.get("issuedOn"), assertion.get("expires")
    issued = _time(issued_raw)
    expires = _time(expires_raw) if expires_raw is not None else None
    if issued is None:
        run.add("validity", Outcome.FAILED, f"issuedOn {issued_raw!r} is not a date-time")
    elif expires_raw is not None and expires is None:
        run.add("validity", Outcome.FAILED, f"expires {expires_raw!r} is not a date-time")
    elif issued > run.now:
        run.add("validity", Outcome.FAILED, f"not valid yet: issued on {issued_raw}")
    elif expires is not None and expires < run.now:
        run.add("validity", Outcome.FAILED, f"expired on {expires_raw}")
    else:
        until = f" until {expires_raw}" if expires is not None else " with no end date"
        run.add("validity", Outcome.PASSED, f"valid since {format_datetime(issued)}{until}")


def _revocation_list(run: _Run, assertion: Mapping[str, Any], issuer: Mapping[str, Any] | None,
                     *, hosted_ok: bool) -> None:
    """The ``status`` check from the issuer's revocation list (``hosted_ok``: the hosted copy was fetched and is
    not marked revoked, which a hosted badge's status rests on first)."""
    hosted_words = "not revoked: the issuer's server still serves it, not marked revoked"
    list_url = issuer.get("revocationList") if issuer is not None else None
    if not isinstance(list_url, str):
        if hosted_ok:
            run.add("status", Outcome.PASSED, hosted_words)
        elif issuer is None:
            run.add("status", Outcome.NOT_CHECKED, "whether it was revoked could not be checked: the issuer's profile "
                                                   "could not be read")
        else:
            run.add("status", Outcome.NOT_CHECKED, "the issuer publishes no revocation list, so it cannot be revoked")
        return
    try:
        revocations = run.get(list_url)
    except Exception as exc:  # noqa: BLE001 - any fetch failure
        run.add("status", Outcome.NOT_CHECKED, f"the issuer's revocation list could not be fetched: {exc}")
        return
    if not isinstance(revocations, Mapping) or not isinstance(revocations.get("revokedAssertions", []), list):
        run.add("status", Outcome.NOT_CHECKED, f"{list_url} is not a readable revocation list")
        return
    if revocations.get("issuer") not in (None, issuer.get("id") if issuer is not None else None):
        run.add("status", Outcome.FAILED, f"the revocation list {list_url} was published by "
                                          f"{revocations.get('issuer')}, not by the issuer")
        return
    assertion_id = assertion.get("id")
    for entry in revocations.get("revokedAssertions", []):
        revoked_id = entry if isinstance(entry, str) else entry.get("id") if isinstance(entry, Mapping) else None
        uid = entry.get("uid") if isinstance(entry, Mapping) else None
        if revoked_id == assertion_id or (uid is not None and uid == assertion.get("uid")):
            reason = entry.get("revocationReason") if isinstance(entry, Mapping) else None
            run.add("status", Outcome.FAILED, "revoked by the issuer (its revocation list names it)"
                    + (f": {reason}" if isinstance(reason, str) else ""), purpose="revocation")
            return
    run.add("status", Outcome.PASSED, (hosted_words + "; " if hosted_ok else "not revoked: ")
            + "the issuer's revocation list does not name it")
