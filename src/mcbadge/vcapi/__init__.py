"""The W3C VC API (VC API for Lifecycle Management): issue, update status, status lists, verify presentations.

``schemas`` (request bodies), ``service`` (the logic, session passed in), ``routes`` (thin), ``contexts``
(extra JSON-LD contexts an operator may enable for the W3C test suites; none by default).
"""
