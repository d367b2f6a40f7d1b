"""Sign and verify throughput for a rich OB 3.0 credential, against the Node reference in the same run.

    .venv/bin/python bench/bench_sign_verify.py [--seconds 5]

The credential is tests/factories/credentials.py's rich_credential(): ~5 KB, a four-level rubric on three criteria,
two evidence items with digests, a Bitstring status entry; issuer did:key. Each side runs alone on one
core (one process, one thread), one after the other, after a warm-up. Figures are ops/s; the ratio is
mcbadge / Node. Python "verify (proof)" is the same work as the reference's verifyCredential: resolve the
key, check it is the issuer's assertionMethod key, canonicalize, check the signature. "verify (report)"
is everything an employer gets: context safety, OB JSON Schema, validity, status (a signed status list
from memory), evidence digests, rubric.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcbadge.vc.data_integrity import sign_credential, verify_proofs  # noqa: E402
from mcbadge.vc.dids import DidResolver, did_key_from_public  # noqa: E402
from mcbadge.vc.keys import Ed25519KeyPair  # noqa: E402
from mcbadge.vc.status_list import BitstringStatusList, status_list_credential  # noqa: E402
from mcbadge.vc.verify import verify  # noqa: E402
from tests.factories.credentials import rich_credential  # noqa: E402
from tests.node_reference import NodeReference, node_available  # noqa: E402


def rate(fn, seconds: float) -> tuple[float, int]:
    for _ in range(20):
        fn()
    n = 0
    start = time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        fn()
        n += 1
    return n / (time.perf_counter() - start), n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measuring time per figure")
    args = parser.parse_args()

    key = Ed25519KeyPair.generate()
    key = key.bound(did_key_from_public(key.public_key))
    credential = rich_credential(issuer_id=key.controller)
    status_url = credential["credentialStatus"]["statusListCredential"]
    status = sign_credential(
        status_list_credential(id=status_url, issuer=key.controller, status_purpose="revocation",
                               encoded_list=BitstringStatusList().encode()),
        key,
    )
    resolver = DidResolver()
    now = datetime.now(timezone.utc)
    signed = sign_credential(credential, key)

    def resolve_key(vm: str, purpose: str):
        method = resolver.resolve_verification_method(vm)
        assert purpose in method.relationships and method.controller == key.controller
        return method.public_key

    def verify_report():
        report = verify(signed, resolver=resolver, now=now, status_fetcher=lambda url: status)
        assert report.verified and report.check("status").outcome.value == "passed"

    print(f"credential: {len(json.dumps(credential))} bytes of JSON; python {platform.python_version()}, "
          f"{os.cpu_count()} cores; {args.seconds:.0f} s per figure")
    results: dict[str, float] = {}
    results["sign"], n = rate(lambda: sign_credential(credential, key), args.seconds)
    print(f"  mcbadge sign            {results['sign']:8.1f} ops/s  ({n} ops)")
    results["verify"], n = rate(lambda: verify_proofs(signed, resolve_key, now=now), args.seconds)
    print(f"  mcbadge verify (proof)  {results['verify']:8.1f} ops/s  ({n} ops)")
    results["report"], n = rate(verify_report, args.seconds)
    print(f"  mcbadge verify (report) {results['report']:8.1f} ops/s  ({n} ops)")

    reason = node_available()
    if reason:
        print(f"  Node reference: not run ({reason}); run `make test` once to install it")
        return
    with NodeReference() as node:
        versions = json.loads((ROOT / "interop" / "package.json").read_text())["dependencies"]
        figures = node.bench(
            credential,
            private_key_multibase=key.export_private_multibase(),
            public_key_multibase=key.public_multibase,
            verification_method=key.verification_method,
            controller=key.controller,
            seconds=args.seconds,
        )
    print(f"  Node @digitalbazaar/vc {versions.get('@digitalbazaar/vc')} + eddsa-rdfc-2022 "
          f"{versions.get('@digitalbazaar/eddsa-rdfc-2022-cryptosuite')} (node {node_version()}):")
    print(f"  node    sign            {figures['sign_ops_per_s']:8.1f} ops/s  ({figures['sign_n']} ops)")
    print(f"  node    verify          {figures['verify_ops_per_s']:8.1f} ops/s  ({figures['verify_n']} ops)")
    print("ratios, mcbadge / node, per core:")
    print(f"  sign            {results['sign'] / figures['sign_ops_per_s']:5.2f}x")
    print(f"  verify (proof)  {results['verify'] / figures['verify_ops_per_s']:5.2f}x")
    print(f"  verify (report) {results['report'] / figures['verify_ops_per_s']:5.2f}x")


def node_version() -> str:
    import subprocess

    return subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()


if __name__ == "__main__":
    main()
