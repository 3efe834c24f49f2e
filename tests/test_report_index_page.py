"""index.html: newest first, each day's headline on one line, its figures, its flags, its links, and a
chart of agent spend over the days."""

from __future__ import annotations

import json
import re
from pathlib import Path

from daily_report.report.index import HEADLINE_CHARS, scan_days, write_index
from daily_report.report.spend_chart import spend_over_days
from daily_report.report.write import write_report
from daily_report.schemas.report import Failure

from tests.report_data import make_report


def _write_days(out: Path) -> None:
    ok = make_report(failures=[])
    ok.date, ok.missing_stages, ok.incomplete_stages, ok.failures = "2026-02-20", [], {}, []
    ok.generation.failures = []
    ok.overview.what_was_done = "Shipped the `scontrol` fix\n  and  cleaned up <b>MIHD</b> " + "word " * 60
    write_report(ok, out)
    broken = make_report()
    broken.date, broken.missing_stages = "2026-02-22", ["overview"]
    broken.failures = [Failure(stage="tasks", label="tasks/x/chunk-0", error="timeout")]
    broken.generation.pending = 3
    broken.token_usage.total_cost_usd = None
    write_report(broken, out)


def _row(html: str, date: str) -> str:
    return next(r for r in html.split("<tr>") if f'href="{date}/report.html"' in r)


def test_days_newest_first_with_headline_figures_and_links(tmp_path: Path) -> None:
    _write_days(tmp_path)
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert html.index('href="2026-02-22/report.html"') < html.index('href="2026-02-20/report.html"')
    row = _row(html, "2026-02-20")
    cell = re.search(r'<div class="line" title="([^"]*)">(.*?)</div>', row, re.S)
    assert cell is not None
    tip, text = cell.groups()
    assert tip.startswith("Shipped the scontrol fix and cleaned up &lt;b&gt;MIHD")  # no tag in an attribute
    assert "\n" not in text and text.startswith(
        "Shipped the <code>scontrol</code> fix and cleaned up &lt;b&gt;MIHD"
    )
    assert text.endswith("…") and len(text) < HEADLINE_CHARS + 40
    assert 'class="flag"' not in row
    assert "<td>4</td><td>$2.4076</td>" in row.replace("\n", "")  # sessions, agent cost
    assert "$0.2349" in row and "this run $0.1834" in row  # the answers' cost, then what the run spent
    assert (
        '<a href="2026-02-20/report.md">md</a>' in row and '<a href="2026-02-20/report.json">json</a>' in row
    )


def test_an_incomplete_day_is_flagged(tmp_path: Path) -> None:
    _write_days(tmp_path)
    (row,) = [r for r in scan_days(tmp_path) if r.date == "2026-02-22"]
    assert row.flags == ("1 failed request", "3 pending requests", "no overview", "partial takeaways")
    html = write_index(tmp_path).read_text(encoding="utf-8")
    flags = re.findall(r'<span class="flag">([^<]*)</span>', _row(html, "2026-02-22"))
    assert flags == list(row.flags)


def test_an_older_report_without_answers_cost_shows_its_run_cost(tmp_path: Path) -> None:
    write_report(make_report(), tmp_path)
    path = tmp_path / "2026-02-22" / "report.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["generation"]["answers_cost_usd"]
    path.write_text(json.dumps(data), encoding="utf-8")
    (row,) = scan_days(tmp_path)
    assert row.report_cost == row.run_cost == 0.1834


def test_replay_days_say_free(tmp_path: Path) -> None:
    report = make_report()
    report.generation.free, report.generation.provider = True, "replay"
    write_report(report, tmp_path)
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "free (replay)" in _row(html, "2026-02-22")


def test_spend_chart_has_one_bar_per_day_on_a_calendar_axis(tmp_path: Path) -> None:
    _write_days(tmp_path)
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    chart = html[html.index("<svg") : html.index("</svg>")]
    assert html.index("<svg") < html.index("<table")  # above the days
    tips = re.findall(r"<title>([^<]*)</title></rect>", chart)
    assert tips == ["2026-02-20: agents spent $2.4076", "2026-02-22: agents spent unknown"]
    svg = str(spend_over_days([("2026-03-01", 1.0), ("2026-03-03", 0.5), ("2026-03-02", None)]))
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([0-9.]+)"', svg)]
    xs = [float(x) for x in re.findall(r'<rect x="([0-9.]+)"', svg)]
    assert xs == sorted(xs)  # oldest on the left
    assert heights[0] == 2 * heights[2] and heights[1] == 4.0  # to scale; the unknown day a grey stub
    assert 'fill="#b0b7bf"' in svg


def test_spend_chart_of_no_days_says_so() -> None:
    svg = str(spend_over_days([]))
    assert "no days yet" in svg
