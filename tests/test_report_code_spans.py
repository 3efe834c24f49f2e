"""Inline code spans: <code> in report.html, verbatim spans in report.md, and no markup ever passes.

report.md is checked the way a viewer shows it: rendered by markdown-it (CommonMark, raw HTML on; it comes
with rich, which typer needs).
"""

from __future__ import annotations

import re

from daily_report.report.code_spans import code_html, code_markdown, split_code
from daily_report.report.html import render_html
from daily_report.report.markdown import cell, inline, render_markdown
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from tests.report_data import make_report

VIEWER = MarkdownIt("commonmark", {"html": True})
SLURM = (
    "Before a new partition run `scontrol show partition <name> | grep AllowAccounts` and `sacct -j <id>`."
)


def test_split_follows_commonmark() -> None:
    assert split_code("a `b` c") == [("a ", False), ("b", True), (" c", False)]
    assert split_code("`` a`b ``") == [("a`b", True)]  # a longer run holds a backtick; padding stripped
    assert split_code("a ` b") == [("a ` b", False)]  # unmatched: literal
    assert split_code("``a` b `c") == [("``a", False), ("b", True), ("c", False)]  # run lengths must match
    assert split_code("\\`x` y") == [("\\`x` y", False)]  # an escaped backtick opens nothing


def test_html_renders_code_spans_as_code_and_escapes_everything() -> None:
    out = str(code_html(SLURM + " <script>alert(1)</script> `<img src=x onerror=alert(1)>`"))
    assert "<code>scontrol show partition &lt;name&gt; | grep AllowAccounts</code>" in out
    assert "<code>sacct -j &lt;id&gt;</code>" in out
    assert "&lt;script&gt;" in out and "<script" not in out
    assert "<code>&lt;img src=x onerror=alert(1)&gt;</code>" in out
    assert "`" not in out


def test_report_html_has_no_literal_backticks_around_code() -> None:
    report = make_report("safe")
    report.tasks[0].details = SLURM
    report.takeaways[0].text = "Chain with `sbatch --dependency=afterok:<train job id>` <b>now</b>."
    html = render_html(report)
    assert "<code>scontrol show partition &lt;name&gt; | grep AllowAccounts</code>" in html
    assert "<code>sbatch --dependency=afterok:&lt;train job id&gt;</code> &lt;b&gt;now&lt;/b&gt;." in html
    assert "`scontrol" not in html and "`sbatch" not in html


def test_markdown_code_spans_show_angle_brackets_and_text_stays_escaped() -> None:
    md = inline(SLURM + " Outside <b>bold</b>.")
    assert "`scontrol show partition <name> | grep AllowAccounts`" in md
    assert "&lt;name>" not in md
    shown = VIEWER.renderInline(md)
    assert "<code>scontrol show partition &lt;name&gt; | grep AllowAccounts</code>" in shown
    assert "<code>sacct -j &lt;id&gt;</code>" in shown
    assert "<b>" not in shown and "&lt;b&gt;bold" in shown


def test_report_md_code_spans_render_as_code_in_a_viewer() -> None:
    report = make_report("safe")
    report.takeaways[0].text = "Chain with `sbatch --dependency=afterok:<train job id>` so it waits."
    shown = VIEWER.render(render_markdown(report))
    assert "<code>sbatch --dependency=afterok:&lt;train job id&gt;</code>" in shown


def test_table_cell_code_keeps_its_pipe() -> None:
    row = "| " + cell("use `a | b` here") + " |"
    shown = MarkdownIt("commonmark", {"html": True}).enable("table").render(f"| h |\n|---|\n{row}\n")
    assert "<code>a | b</code>" in shown


def test_code_markdown_delimiters_never_occur_inside() -> None:
    assert code_markdown("x") == "`x`"
    assert code_markdown("a`b") == "``a`b``"
    assert code_markdown("`x") == "`` `x ``"
    assert code_markdown("a `` b ` c") == "```a `` b ` c```"


_TAG_IN_OUTPUT = re.compile(r"<(?!/?(?:p|code|em|strong|a\b|br)\b)[A-Za-z/!?]")
ALPHABET = st.sampled_from([*"`\\<>ab [](){}!*_#-|&;:/\"'= \n", "<img src=x onerror=y>", "<script>", "```"])


@settings(max_examples=400, deadline=None)
@given(st.lists(ALPHABET, max_size=24).map("".join))
def test_markdown_viewer_shows_exactly_the_code_found_and_no_markup(text: str) -> None:
    md = inline(text)
    shown = VIEWER.renderInline(md)
    assert not _TAG_IN_OUTPUT.search(shown), (text, md, shown)
    assert "<a " not in shown and "<img" not in shown
    expected = [p for p, is_code in split_code(" ".join(text.split())) if is_code]
    found = re.findall(r"<code>(.*?)</code>", shown, flags=re.S)
    unescape = {"&lt;": "<", "&gt;": ">", "&quot;": '"', "&amp;": "&"}
    assert [re.sub("&(lt|gt|quot|amp);", lambda m: unescape[m.group(0)], f) for f in found] == expected, (
        text,
        md,
        shown,
    )
