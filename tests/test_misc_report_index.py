"""The reports index links each day's filtered report variants beside the full report, escaped."""

from __future__ import annotations

import re
from pathlib import Path

from daily_report.report.index import scan_days, write_index
from daily_report.report.write import write_report

from tests.report_data import make_report

DAY = "2026-02-22"


def variant_links(html: str, date: str) -> list[tuple[str, str]]:
    """(href, text) of the variant links in the row of ``date``."""
    row = next(r for r in html.split("<tr>") if f'href="{date}/report.html"' in r)
    span = re.search(r'<span class="variants"[^>]*>(.*?)</span>', row, re.S)
    return re.findall(r'<a href="([^"]*)">([^<]*)</a>', span.group(1)) if span else []


def test_the_index_links_every_variant_beside_the_full_report(tmp_path: Path) -> None:
    write_report(make_report(), tmp_path)
    day = tmp_path / DAY
    for name in ("session-7c1e", "device-DCC.zh", "zh"):
        (day / f"report.{name}.html").write_text("x", encoding="utf-8")
        (day / f"report.{name}.md").write_text("x", encoding="utf-8")  # only the pages are linked
    html = write_index(tmp_path).read_text(encoding="utf-8")
    assert variant_links(html, DAY) == [
        (f"{DAY}/report.device-DCC.zh.html", "device-DCC.zh"),
        (f"{DAY}/report.session-7c1e.html", "session-7c1e"),
        (f"{DAY}/report.zh.html", "zh"),
    ]
    full = html.index(f'<a href="{DAY}/report.html">{DAY}</a>')
    assert full < html.index('class="variants"') < html.index("</tr>", full)  # in the day's own row


def test_a_day_without_variants_has_no_variant_links(tmp_path: Path) -> None:
    write_report(make_report(), tmp_path)
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'class="variants"' not in html and variant_links(html, DAY) == []


def test_variant_names_are_escaped_in_text_and_links(tmp_path: Path) -> None:
    write_report(make_report(), tmp_path)
    hostile = 'session-<img src=x onerror=alert(1)>"q'
    (tmp_path / DAY / f"report.{hostile}.html").write_text("x", encoding="utf-8")
    html = write_index(tmp_path).read_text(encoding="utf-8")
    assert "<img" not in html and 'onerror=alert(1)>"q' not in html
    ((href, text),) = variant_links(html, DAY)
    assert text == "session-&lt;img src=x onerror=alert(1)&gt;&#34;q"
    assert href == f"{DAY}/report.session-%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E%22q.html"


def test_an_unreadable_report_keeps_its_variants(tmp_path: Path) -> None:
    day = tmp_path / "2026-01-01"
    day.mkdir()
    (day / "report.json").write_text("{not json", encoding="utf-8")
    (day / "report.html").write_text("x", encoding="utf-8")
    (day / "report.zh.html").write_text("x", encoding="utf-8")
    (row,) = scan_days(tmp_path)
    assert row.problem is not None and row.variants == ("zh",)
    html = write_index(tmp_path).read_text(encoding="utf-8")
    assert variant_links(html, "2026-01-01") == [("2026-01-01/report.zh.html", "zh")]
