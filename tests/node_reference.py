"""Client for the Node reference implementation harness (``interop/reference.mjs``).

The harness wraps digitalbazaar's ``@digitalbazaar/vc`` with the
``eddsa-rdfc-2022`` cryptosuite at the versions pinned in
``interop/package-lock.json`` (install with ``cd interop && npm ci``). It runs
as one long-lived ``node`` process speaking JSON lines over stdin/stdout, with
an offline document loader (pinned project contexts, per-request
``documents``, locally built did:key documents).

Usage from tests::

    from tests.node_reference import node_reference  # session fixture

    def test_something(node_reference):
        assert node_reference.verify(vc)["verified"]

The fixture skips when Node or ``interop/node_modules`` is missing, except
under ``CI=true`` where a missing reference implementation is a failure.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
from collections import deque
from pathlib import Path
from typing import Any, Iterator

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
INTEROP_DIR = REPO_ROOT / "interop"
SCRIPT = INTEROP_DIR / "reference.mjs"

# Generous: the first request also pays for module loading and JIT warm-up.
DEFAULT_TIMEOUT_S = 60.0


class NodeReferenceError(RuntimeError):
    """The harness answered ``{"ok": false, "error": ...}`` or died."""


def node_available() -> str | None:
    """Return why the Node reference cannot run, or ``None`` if it can."""
    if shutil.which("node") is None:
        return "node executable not found on PATH"
    if not SCRIPT.is_file():
        return f"{SCRIPT} is missing"
    if not (INTEROP_DIR / "node_modules" / "@digitalbazaar" / "vc").is_dir():
        return f"{INTEROP_DIR / 'node_modules'} not installed (run: cd interop && npm ci)"
    return None


class NodeReference:
    """One ``node interop/reference.mjs`` process; requests are serialised."""

    def __init__(self, node: str = "node") -> None:
        self._proc = subprocess.Popen(
            [node, str(SCRIPT)],
            cwd=INTEROP_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        self._lock = threading.Lock()
        # Reader threads: stdout lines go to a queue so requests can time out;
        # stderr is drained continuously (a full pipe would block Node) and the
        # tail is kept for error messages.
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr_tail: deque[str] = deque(maxlen=50)
        threading.Thread(target=self._pump_stdout, daemon=True).start()
        threading.Thread(target=self._pump_stderr, daemon=True).start()

    # -- plumbing ---------------------------------------------------------

    def _pump_stdout(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            self._lines.put(line)
        self._lines.put(None)  # EOF

    def _pump_stderr(self) -> None:
        assert self._proc.stderr is not None
        for line in self._proc.stderr:
            self._stderr_tail.append(line.rstrip("\n"))

    def _died(self, what: str) -> NodeReferenceError:
        tail = "\n".join(self._stderr_tail)
        return NodeReferenceError(
            f"Node reference {what} (exit code {self._proc.poll()}); stderr tail:\n{tail}"
        )

    def request(self, req: dict[str, Any], timeout: float = DEFAULT_TIMEOUT_S) -> Any:
        """Send one request; return its ``result`` or raise NodeReferenceError."""
        line = json.dumps(req, ensure_ascii=True) + "\n"
        with self._lock:
            if self._proc.poll() is not None:
                raise self._died("is not running")
            assert self._proc.stdin is not None
            try:
                self._proc.stdin.write(line)
                self._proc.stdin.flush()
            except BrokenPipeError:
                raise self._died("closed its stdin") from None
            try:
                answer = self._lines.get(timeout=timeout)
            except queue.Empty:
                # The response would arrive late and desynchronise the
                # protocol, so this process cannot be reused.
                self.close(kill=True)
                raise NodeReferenceError(
                    f"no answer to {req.get('cmd')!r} within {timeout} s"
                ) from None
        if answer is None:
            raise self._died("exited")
        response = json.loads(answer)
        if not response.get("ok"):
            raise NodeReferenceError(response.get("error", "unknown error"))
        return response["result"]

    def close(self, kill: bool = False) -> None:
        if self._proc.poll() is None:
            if not kill and self._proc.stdin is not None:
                self._proc.stdin.close()  # EOF ends the read loop cleanly
                try:
                    self._proc.wait(timeout=5)
                    return
                except subprocess.TimeoutExpired:
                    pass
            self._proc.kill()
            self._proc.wait()

    def __enter__(self) -> NodeReference:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- commands ---------------------------------------------------------

    def ping(self) -> str:
        return self.request({"cmd": "ping"})

    @staticmethod
    def _key_fields(
        private_key_multibase: str,
        public_key_multibase: str,
        verification_method: str,
        controller: str | None,
    ) -> dict[str, str]:
        return {
            "privateKeyMultibase": private_key_multibase,
            "publicKeyMultibase": public_key_multibase,
            "verificationMethod": verification_method,
            # Default: the DID (or URL) the verification method belongs to.
            "controller": controller or verification_method.split("#", 1)[0],
        }

    def sign(
        self,
        credential: dict[str, Any],
        *,
        private_key_multibase: str,
        public_key_multibase: str,
        verification_method: str,
        controller: str | None = None,
        created: str | None = None,
        documents: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Issue ``credential`` with a DataIntegrityProof (eddsa-rdfc-2022)."""
        req: dict[str, Any] = {
            "cmd": "sign",
            "credential": credential,
            **self._key_fields(
                private_key_multibase, public_key_multibase, verification_method, controller
            ),
            "documents": documents or {},
        }
        if created is not None:
            req["created"] = created
        return self.request(req)

    def verify(
        self,
        credential: dict[str, Any],
        documents: dict[str, Any] | None = None,
        *,
        check_issuer: bool = True,
        now: str | None = None,
    ) -> dict[str, Any]:
        """Return ``{"verified": bool, "errors": [str, ...]}``.

        ``check_issuer=False`` drops vc.js's "issuer must equal the key's
        controller" rule (keeps the assertionMethod authorisation check); the
        W3C eddsa vectors need it because their issuer is not their key's DID.
        """
        req: dict[str, Any] = {
            "cmd": "verify",
            "credential": credential,
            "documents": documents or {},
            "checkIssuer": check_issuer,
        }
        if now is not None:
            req["now"] = now
        return self.request(req)

    def issue_with(
        self,
        suite: str,
        credential: dict[str, Any],
        *,
        did_method: str | dict[str, str] = "key",
        set_issuer: bool = True,
        created: str | None = None,
    ) -> dict[str, Any]:
        """Sign ``credential`` with a fresh key of ``suite`` (``Ed25519Signature2020``, ``ecdsa-rdfc-2019``,
        ``eddsa-rdfc-2022``) through the pinned packages; the key's DID becomes the issuer unless ``set_issuer``
        is False (a further proof: a proof set). ``did_method``: ``"key"`` or ``{"web": did, "fragment": f}``.

        Returns ``{credential, did, verificationMethod, publicKeyMultibase}`` (the private key stays in Node).
        """
        req: dict[str, Any] = {"cmd": "issueWith", "suite": suite, "credential": credential,
                               "didMethod": did_method, "setIssuer": set_issuer}
        if created is not None:
            req["created"] = created
        return self.request(req)

    def jwt_sign(
        self,
        alg: str,
        credential: dict[str, Any],
        *,
        did_method: str | dict[str, str] = "key",
        shape: str = "vc-claim",
        header: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A VC-JWT signed by ``jose`` with a fresh ``alg`` key (EdDSA, ES256, RS256) whose DID (``"key"``,
        ``"jwk"`` or ``{"web": did, "fragment": f}``) becomes the issuer. ``shape``: ``"vc-claim"`` (OB 3.0) or
        ``"credential"`` (VC-JOSE-COSE). Returns ``{token, did, kid, publicJwk}``."""
        return self.request({"cmd": "jwtSign", "alg": alg, "credential": credential, "didMethod": did_method,
                             "shape": shape, "header": header or {}})

    def canonize(self, document: Any, documents: dict[str, Any] | None = None) -> str:
        """RDFC-1.0 canonical N-Quads of ``document`` (safe mode, as the cryptosuite)."""
        return self.request({"cmd": "canonize", "document": document, "documents": documents or {}})

    def bench(
        self,
        credential: dict[str, Any],
        *,
        private_key_multibase: str,
        public_key_multibase: str,
        verification_method: str,
        controller: str | None = None,
        documents: dict[str, Any] | None = None,
        seconds: float = 5.0,
        check_issuer: bool = True,
        sign_seconds: float | None = None,
    ) -> dict[str, Any]:
        """Sign for ~``sign_seconds`` (default ``seconds``; 0 skips it), then verify for ~``seconds`` (one core).

        Returns ``sign_ops_per_s`` (None when skipped), ``verify_ops_per_s``, ``sign_n``, ``verify_n``.
        """
        req = {
            "cmd": "bench",
            "credential": credential,
            **self._key_fields(
                private_key_multibase, public_key_multibase, verification_method, controller
            ),
            "documents": documents or {},
            "seconds": seconds,
            "signSeconds": seconds if sign_seconds is None else sign_seconds,
            "checkIssuer": check_issuer,
        }
        return self.request(req, timeout=2 * seconds + DEFAULT_TIMEOUT_S)


@pytest.fixture(scope="session")
def node_reference() -> Iterator[NodeReference]:
    """Session-wide NodeReference; skip if unavailable, but fail under CI=true."""
    reason = node_available()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Node reference implementation required in CI: {reason}", pytrace=False)
        pytest.skip(reason)
    ref = NodeReference()
    try:
        ref.ping()
        yield ref
    finally:
        ref.close()
