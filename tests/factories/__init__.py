"""Test data, one module per concern; each helper is defined once.

* ``credentials``: an unsigned rich OB 3.0 credential (``rich_credential``), also used by the benchmarks.
* ``people``: issuers, people, API keys, assessor training.
* ``catalog``: micro-credential bodies and published or draft rows.
* ``submissions``: submissions with evidence and assessments as rows, and the flow's steps over HTTP.
* ``tenants``: the two casts the service tests start from (``make_tenant``, ``seed_world``).
"""
