"""The e-mail an educator gets for an event: a subject and plain text, written with the event (so what was sent
is what the event said then). Plain text only: nothing to escape, every mail client shows it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["educator_message"]


def _what(data: Mapping[str, Any]) -> str:
    item = data.get("microcredential") or data.get("stack") or {}
    title = str(item.get("title") or "your credential")
    return f"\u201c{title}\u201d" + (f" (version {item['version']})" if item.get("version") else "")


def educator_message(type: str, data: Mapping[str, Any]) -> tuple[str, str]:
    """(subject, text) of the e-mail for an event of ``type`` (``events.outbox.EDUCATOR_EMAILS``)."""
    name = str((data.get("educator") or {}).get("name") or "")
    hello = f"Hello {name},\n\n" if name else "Hello,\n\n"
    what = _what(data)
    url = data.get("credential_url")
    if type == "submission.not_yet":
        feedback = data.get("feedback") or {}
        lines = "".join(f"- {criterion}: {text}\n" for criterion, text in sorted(feedback.items()))
        return (f"Feedback on your attempt at {what}",
                hello + f"Your attempt {data.get('attempt')} at {what} is not yet at the level the rubric asks for. "
                "The assessor's feedback:\n\n" + (lines or "(no written feedback)\n")
                + "\nYou can start a new attempt whenever you are ready.\n")
    if type in ("credential.awarded", "designation.awarded"):
        renewal = " It renews your earlier credential." if data.get("renewal_of") else ""
        until = f" It is valid until {str(data['valid_until'])[:10]}." if data.get("valid_until") else ""
        return (f"You earned {what}",
                hello + f"Congratulations: you were awarded {what}.{renewal}{until}\n\n"
                f"Your credential, to share or add to a wallet: {url}\n")
    if type == "credential.expiring":
        return (f"{what[:1].upper() + what[1:]} expires on {str(data.get('valid_until'))[:10]}",
                hello + f"Your credential {what} expires on {str(data.get('valid_until'))[:10]}. To renew it, start a "
                "renewal attempt (the re-assessment your issuer asks for); the renewed credential will be linked "
                f"to this one, which stays visible, marked expired once it is.\n\nYour credential: {url}\n")
    raise ValueError(f"no e-mail for {type}")
