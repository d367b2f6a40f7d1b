"""The one reader of a verification form, for ``POST /verify`` (the API) and ``POST /verify/report`` (the page).

Both take a ``multipart/form-data`` form (files) or an ``application/x-www-form-urlencoded`` one (pasted
text, a URL), under the same body limit, with the same cap on evidence files; they differ only in their
field names (the API's ``credential``/``url``, the page's ``credential_text``/``credential_file``/
``credential_url``) and in how they word "give exactly one credential", which each surface says its own way.
The body is counted while it streams, so a request without a ``Content-Length`` cannot outgrow the limit.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Collection
from dataclasses import dataclass, field

from starlette.datastructures import UploadFile
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import Request

from ..errors import BodyTooLarge, Invalid, Unreadable
from ..limits import check_text, parse_off_loop
from .inputs import (
    MAX_COMPONENTS,
    MAX_EVIDENCE_FILES,
    EvidenceFile,
    GivenCredential,
    evidence_digest,
    from_file,
    from_text,
)

__all__ = ["MAX_FORM_FIELDS", "InvalidForm", "MalformedForm", "VerificationForm", "limited_stream",
           "media_type", "read_form"]

MAX_FORM_FIELDS = 20
"""Text fields a verification form may carry (the page's form has a handful), besides evidence digests."""

MAX_RECIPIENT_CHARS = 320
"""The longest recipient identifier (an e-mail address is at most 254 characters; a URL or a DID a little more)."""


class MalformedForm(Unreadable):
    """A multipart/form-data body that cannot be parsed."""

    code = "malformed-form"


class InvalidForm(Invalid):
    """A form without exactly one credential (a file, pasted text or a URL), or with fields /verify does not know."""

    code = "invalid-form"


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def limited_stream(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    """The body, counted: a request without a Content-Length cannot grow past ``limit`` either."""
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"the request body is larger than the limit of {limit} bytes")
        yield chunk


@dataclass
class VerificationForm:
    """What a verification form gave, before the surface decides what "exactly one credential" means."""

    texts: list[tuple[str, str]] = field(default_factory=list)
    """(field name, value) of each non-blank text in a credential field."""
    files: list[tuple[str | None, bytes]] = field(default_factory=list)
    """(file name, content) of each credential file actually chosen (a browser sends empty file inputs)."""
    urls: list[str] = field(default_factory=list)
    evidence: list[EvidenceFile] = field(default_factory=list)
    components: list[GivenCredential] = field(default_factory=list)
    """Credentials given with the one to verify (a designation's components), read like it (files or text)."""
    values: dict[str, str] = field(default_factory=dict)
    """Every text field as sent, to show the form again."""
    recipient: str | None = None
    """The identifier (e-mail, URL, telephone, DID) the verifier typed, to compare with the credential's
    recipient (``vc.recipient``); never shown back beyond the field the person typed it in."""

    @property
    def given(self) -> int:
        return len(self.texts) + len(self.files) + len(self.urls)

    def credential(self) -> GivenCredential:
        """The one credential the form gave (the caller checked :attr:`given` is 1)."""
        if self.urls:
            url = self.urls[0]
            return GivenCredential(None, "url", url=url, label=f"the address {url}")  # fetched when verified
        if self.files:
            filename, data = self.files[0]
            return from_file(data, filename)
        name, text = self.texts[0]
        return from_text(text, "the pasted text" if name != "credential" else "the credential field")


async def read_form(request: Request, limit: int, *, credential_fields: Collection[str], url_field: str,
                    only_known: bool, component_field: str | None = None) -> VerificationForm:
    """Read a verification form of at most ``limit`` bytes: credentials from ``credential_fields`` (text or
    file), a URL from ``url_field``, files from ``evidence`` (at most ``MAX_EVIDENCE_FILES``), and, when
    ``component_field`` is named, component credentials from that field (files or text, at most
    ``MAX_COMPONENTS``). With ``only_known``, a field of any other name is refused (:class:`InvalidForm`)."""
    stream = limited_stream(request, limit)
    parser: MultiPartParser | FormParser
    if media_type(request) == "multipart/form-data":
        components = MAX_COMPONENTS if component_field else 0
        parser = MultiPartParser(request.headers, stream,
                                 max_files=MAX_EVIDENCE_FILES + len(credential_fields) + components,
                                 max_fields=MAX_FORM_FIELDS + MAX_EVIDENCE_FILES + components,
                                 max_part_size=limit)
    else:
        parser = FormParser(request.headers, stream, max_fields=MAX_FORM_FIELDS + MAX_EVIDENCE_FILES, max_part_size=limit)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise MalformedForm(f"the form cannot be read: {exc.message}") from None
    known = {*credential_fields, url_field, "evidence", "evidence_sha256", "recipient",
             *([component_field] if component_field else [])}
    try:
        unknown = sorted(set(form.keys()) - known)
        if only_known and unknown:
            raise InvalidForm(f"unknown form field(s): {', '.join(unknown)}; expected {', '.join(sorted(known))}")
        result = VerificationForm(values={k: v for k, v in form.multi_items() if isinstance(v, str)})
        for name in credential_fields:
            for value in form.getlist(name):
                if isinstance(value, UploadFile):
                    if value.filename or value.size:  # a browser sends an empty part for an unused file input
                        result.files.append((value.filename, await value.read()))
                elif value.strip():
                    result.texts.append((name, value))
        result.urls = [v.strip() for v in form.getlist(url_field) if isinstance(v, str) and v.strip()]
        recipients = [v.strip() for v in form.getlist("recipient") if isinstance(v, str) and v.strip()]
        if len(recipients) > 1 or any(len(v) > MAX_RECIPIENT_CHARS for v in recipients):
            raise InvalidForm(f"give at most one recipient identifier, of at most {MAX_RECIPIENT_CHARS} characters")
        for value in recipients:
            check_text(value, "form: recipient")
        result.recipient = recipients[0] if recipients else None
        for url in result.urls:
            check_text(url, f"form: {url_field}")  # a multipart field; urlencoded ones were checked at the edge
        for index, item in enumerate(form.getlist("evidence"), start=1):
            if not isinstance(item, UploadFile):
                raise InvalidForm("evidence must be uploaded as files")
            if not item.filename and not item.size:
                continue  # an empty file input of a browser form
            if len(result.evidence) == MAX_EVIDENCE_FILES:
                raise InvalidForm(f"at most {MAX_EVIDENCE_FILES} evidence files")
            result.evidence.append(EvidenceFile.of(item.filename or f"evidence file {index}", await item.read()))
        for index, digest in enumerate(form.getlist("evidence_sha256"), start=len(result.evidence) + 1):
            if not isinstance(digest, str):
                raise InvalidForm("evidence_sha256 must be text (a digest), not a file")
            if not digest.strip():
                continue
            if len(result.evidence) == MAX_EVIDENCE_FILES:
                raise InvalidForm(f"at most {MAX_EVIDENCE_FILES} evidence files")
            result.evidence.append(evidence_digest(digest, index))
        for index, item in enumerate(form.getlist(component_field) if component_field else [], start=1):
            if len(result.components) == MAX_COMPONENTS:
                raise InvalidForm(f"at most {MAX_COMPONENTS} component credentials")
            if isinstance(item, UploadFile):
                if item.filename or item.size:
                    data = await item.read()
                    result.components.append(await parse_off_loop(len(data), from_file, data, item.filename))
            elif item.strip():
                result.components.append(await parse_off_loop(len(item), from_text, item, f"component {index}"))
        return result
    finally:
        await form.close()
