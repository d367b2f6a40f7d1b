"""Pages in headless Chromium (Debian's, driven by Playwright): the browser and page fixtures (a plugin of the
suite: tests/conftest.py), screenshots under test-artifacts/, and the verification form's steps."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live_server import LiveServer
from tests.reference_data import REPO

CHROMIUM = os.environ.get("MCBADGE_CHROMIUM", "/usr/bin/chromium")


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


ARTIFACTS = REPO / "test-artifacts"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"the page tests need Chromium under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the test process (each test gets its own context: its own cookies, storage and
    pages). Launching it costs about a second, once per page-test module when it was module-scoped."""
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        _unavailable(f"no Chromium at {CHROMIUM} ('apt-get install chromium', or make deps-system)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _unavailable(f"Playwright is not installed ({exc}): pip install -e '.[test]'")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1024, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def submit(page: Any) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Verify").click()


def open_form(page: Any, server: LiveServer) -> None:
    response = page.goto(f"{server.base_url}/verify")
    assert response.status == 200
    assert page.get_by_role("heading", level=1).inner_text() == "Verify a credential"
