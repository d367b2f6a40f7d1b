"""The app served over real HTTP on loopback, and settings on temporary paths.

Requests go through a real socket, HTTP parsing and the ASGI stack, as in production.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from mcbadge.api import create_app
from mcbadge.config import Settings
from mcbadge.keystore import Keystore

TEST_PASSPHRASE = "test-passphrase-not-secret"


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings whose keys, database and passphrase are all under ``tmp_path`` (never the developer's)."""
    values: dict[str, object] = {
        "keys_dir": tmp_path / "keys",
        "database_url": f"sqlite:///{tmp_path / 'mcbadge.db'}",
        "blob_dir": tmp_path / "blobs",
        "key_passphrase": TEST_PASSPHRASE,
        "issuer_slug": "test-district",
        "issuer_name": "Test District",
        "allow_loopback_fetch": True,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@dataclass
class LiveServer:
    """An app served by uvicorn on loopback."""

    app: FastAPI
    settings: Settings
    base_url: str

    @property
    def keystore(self) -> Keystore:
        return self.app.state.services.keystore


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serve(app: FastAPI, sock: socket.socket) -> Iterator[str]:
    """Serve ``app`` with uvicorn on the bound loopback ``sock`` in a thread; yields the base URL.

    On exit the server stops, the socket closes and the app's database engine is disposed."""
    uv = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        sock.close()
        app.state.engine.dispose()


@contextmanager
def live_server(settings: Settings) -> Iterator[tuple[FastAPI, str]]:
    """``create_app(settings)`` served by uvicorn on a free loopback port; yields the app and its base URL.

    For tests that need settings the shared ``server`` fixture does not take (small upload limits) or a
    server shared by a whole module (the access matrix).
    """
    app = create_app(settings)
    with serve(app, free_socket()) as base_url:
        yield app, base_url
