"""report.html in a real headless Chromium: hostile transcript text stays text, the page is clean."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from daily_report.report.html import render_html

from tests.report_data import EVIL, make_report

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


def _need_chromium() -> None:
    if CHROMIUM.exists() or shutil.which("chromium"):
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but no Chromium at {CHROMIUM}: .ci/run should have installed it")
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium); set CI=1 to make this a failure")


def test_hostile_report_renders_as_text_in_chromium(tmp_path: Path) -> None:
    _need_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    evil = " ".join(EVIL)
    page_file = tmp_path / "report.html"
    page_file.write_text(render_html(make_report(evil)), encoding="utf-8")
    shot = tmp_path / "report.png"

    console_errors: list[str] = []
    page_errors: list[str] = []
    dialogs: list[str] = []
    requests: list[str] = []
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a fresh user-data-dir
            executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")),
            args=ARGS,
            viewport={"width": 1100, "height": 900},
        )
        try:
            page = context.new_page()
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_file.as_uri())
            page.wait_for_load_state("load")

            pwned = page.evaluate("() => typeof window.__pwned")
            body_text = page.inner_text("body")
            n_svg = page.locator("svg.chart").count()
            n_injected = page.locator("main img, main script").count()
            hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
            page.click("button[data-expand='0']")
            closed = page.eval_on_selector_all("details", "els => els.filter(e => e.open).length")
            page.click("button[data-expand='1']")
            page.screenshot(path=str(shot), full_page=True)
        finally:
            context.close()

    assert console_errors == []
    assert page_errors == []
    assert dialogs == []
    assert pwned == "undefined"
    for s in EVIL:
        assert s in body_text  # shown as text, not interpreted
    assert n_injected == 0
    assert n_svg == 4  # cost by model, by device, report cost by stage, timeline
    assert all(h.startswith("#") or h.endswith("/report.html") for h in hrefs), hrefs
    assert closed == 0  # the collapse-all button works (the one script the CSP allows ran)
    assert [u for u in requests if not u.startswith("file://")] == []
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    if out := os.environ.get("REPORT_SCREENSHOT"):  # for a human look: REPORT_SCREENSHOT=/tmp/x.png
        Path(out).write_bytes(data)
