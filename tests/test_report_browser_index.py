"""index.html and the status icons in a real headless Chromium: the chart and icons draw, each day's
headline stays on one line, and the page runs clean under its CSP."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from daily_report.report.write import write_report

from tests.report_data import make_report
from tests.test_report_browser import ARGS, CHROMIUM, _need_chromium

pytestmark = pytest.mark.browser


def test_index_and_icons_render_in_chromium(tmp_path: Path) -> None:
    _need_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    for date in ("2026-02-20", "2026-02-22"):
        report = make_report(date=date)
        report.overview.what_was_done = (
            "A long day: " + "ran `srun --overlap` and checked the shard stats " * 8
        )
        write_report(report, tmp_path)
    errors: list[str] = []
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")),
            args=ARGS,
            viewport={"width": 1100, "height": 900},
        )
        try:
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto((tmp_path / "index.html").as_uri())
            bars = page.locator("svg.spend rect").count()
            lines = page.eval_on_selector_all(
                ".index .line",
                "els => els.map(e => [e.getBoundingClientRect().height, e.scrollWidth > e.clientWidth])",
            )
            line_height = page.eval_on_selector(
                ".index .line", "e => parseFloat(getComputedStyle(e).lineHeight)"
            )
            page.goto((tmp_path / "2026-02-22" / "report.html").as_uri())
            icons = page.eval_on_selector_all(
                ".st svg.icon",
                "els => els.map(e => [e.getAttribute('aria-label'), e.getBoundingClientRect().width])",
            )
            codes = page.locator("#overview code", has_text="srun --overlap").count()
        finally:
            context.close()
    assert errors == []
    assert bars == 2
    assert len(lines) == 2 and all(h <= line_height + 1 and cut for h, cut in lines)  # one line, cut with …
    assert {label for label, _ in icons} >= {"done", "in progress", "blocked"}
    assert all(width == 16 for _, width in icons)
    assert codes > 0
