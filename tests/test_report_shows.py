"""What the report shows: status icons without an emoji font, the free stage chart, the README citation."""

from __future__ import annotations

import re
from pathlib import Path

from daily_report.report.charts import cost_by_stage
from daily_report.report.html import render_html
from daily_report.report.markdown import render_markdown
from daily_report.schemas.report import DailyReport
from daily_report.sources.claude.adapter import SUBAGENT_NOTE

from tests.report_data import make_report

# pictographs and the variation selector that turns a symbol into an emoji: boxes without an emoji font
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f]")


def test_status_marks_need_no_emoji_font() -> None:
    report = make_report()
    html, md = render_html(report), render_markdown(report)
    assert not _EMOJI.findall(html)
    assert not _EMOJI.findall(md)
    for label in ("done", "in progress", "blocked", "investigation"):
        assert (
            f'<svg class="icon" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" width="16" height="16" role="img" aria-label="{label}"'
            in html
        )
    assert "- [done] **" in md and "- [in progress] **" in md and "- [blocked] **" in md


def test_a_session_without_status_and_a_failed_one_read_as_words() -> None:
    report = make_report()
    report.sessions[0].status = None
    report.sessions[1].failed = True
    md = render_markdown(report)
    assert "[no status] **" in md
    assert "** (incomplete) · " in md
    assert 'aria-label="unknown"' in render_html(report)


def test_subagent_caveat_cites_the_readme_not_a_missing_document() -> None:
    report = make_report()
    report.token_usage.notes = [SUBAGENT_NOTE]
    for text in (render_markdown(report), render_html(report)):
        assert "transcript-formats.md" not in text
        assert "How the figures are counted" in text
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert "## How the figures are counted" in readme


def _replay_report() -> DailyReport:
    report = make_report()
    g = report.generation
    g.provider, g.model, g.free, g.cost_usd, g.answers_cost_usd = "replay", "replay", True, 0.0, 0.0
    for stage in g.by_stage.values():
        stage.cost_usd = 0.0
    return report


def test_a_free_provider_says_free_instead_of_zero_dollar_bars() -> None:
    report = _replay_report()
    chart = str(cost_by_stage(report.generation))
    assert chart.count("free (replay)") == len(report.generation.by_stage)
    assert "$0.0000" not in chart and "<rect" not in chart
    html = render_html(report)
    about = html[html.index('id="about"') :]
    assert "$0.0000" not in about and "cost free (replay)" in about
    md = render_markdown(report)
    assert "| free (replay) |" in md.split("## About This Report")[1]
    assert "cost free (replay)" in md.split("\n## ")[0]  # the header


def test_a_paid_provider_keeps_its_stage_figures() -> None:
    chart = str(cost_by_stage(make_report().generation))
    assert "free" not in chart and "$0.0500" in chart and "unknown" in chart
