"""Verify: what an employer holds, read (``inputs``) and checked with the service's resolver, status lists and
context policy (``service``). Shared by the verification API (``api/verification.py``) and the pages
(``web/``); the checks themselves are the credential library's (``mcbadge.vc.verify``)."""
