"""What one request may carry: the limits, named in one place.

Work per request must be bounded before anything expensive runs (JSON-LD expansion and canonicalization,
signature checks, status look-ups: each costs time in proportion to what the credential holds). Each limit is
generous: no real credential comes near it (an OB 3.0 credential has one or two proofs, two status entries, two
or three types, a few kilobytes of JSON; a designation names at most 100 components). A request beyond one is
refused with 413 and a problem detail naming the limit (``limit``, ``max``, and the ``field`` where it was met).
"""

from __future__ import annotations

MIB = 1024 * 1024

# -- any JSON a request carries (a body, a credential's text, a form field holding JSON) --------------------

MAX_JSON_BYTES = 4 * MIB
"""A JSON request body, or one credential's JSON text however it came (pasted, a file, a URL, a VC-JWT's payload).
The same bound as a credential fetched from a URL. (``POST /verify`` takes 32 MiB, but only for evidence files.)"""

MAX_JSON_DEPTH = 32
"""Nesting of arrays and objects (an OB 3.0 credential nests about 7 deep)."""

MAX_ARRAY_ITEMS = 1_000
"""Items of any one array, where no smaller limit below applies."""

MAX_OBJECT_MEMBERS = 1_000
"""Members of any one object."""

MAX_STRING_CHARS = MIB
"""Characters of any one string or member name (an image as a data: URL fits)."""

MAX_JSON_VALUES = 100_000
"""Values (objects, arrays, strings, numbers...) in one JSON body in all."""

# -- a credential or presentation, wherever it appears (its endorsements and components are credentials too) --

MAX_CREDENTIAL_VALUES = 10_000
"""Values in one credential, or one presentation with its credentials (a rich credential has about 200)."""

MAX_PROOFS = 8
"""Entries of a ``proof`` (a proof set or chain)."""

MAX_STATUS_ENTRIES = 8
"""Entries of a ``credentialStatus`` (revocation and suspension are two)."""

MAX_TYPES = 32
"""Entries of a ``type``: each is expanded against the contexts."""

MAX_CONTEXTS = 16
"""Entries of an ``@context``."""

MAX_ENDORSEMENTS = 32
"""Entries of an ``endorsement`` (each an EndorsementCredential)."""

MAX_RELATED_RESOURCES = 200
"""Entries of a ``relatedResource`` (a designation names each component; a stack has at most 100)."""

MAX_EVIDENCE = 100
"""Entries of an ``evidence``."""
