"""report.html without a browser: escaping, links, self-containment, charts."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

from daily_report.report.charts import timeline
from daily_report.report.fmt import anchor, zone
from daily_report.report.html import render_html

from tests.report_data import EVIL, S4, make_report, usage


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    p = _Collect()
    p.feed(html)
    return p.tags


def test_transcript_strings_are_escaped_everywhere() -> None:
    html = render_html(make_report(" ".join(EVIL)))
    assert "<script>alert(1)</script>" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    tags = _tags(html)
    assert [t for t, _ in tags if t == "script"] == ["script"]  # only ours
    assert not any(k.startswith("on") for _, attrs in tags for k in attrs)
    hrefs = [a["href"] or "" for t, a in tags if t == "a"]
    assert hrefs and all(h.startswith("#") for h in hrefs)


def test_self_contained_with_a_strict_policy() -> None:
    html = render_html(make_report())
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp is not None
    policy = unescape(csp.group(1))
    assert "default-src 'none'" in policy and "script-src 'sha256-" in policy
    no_ns = html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", no_ns)
    assert "@import" not in html and "url(" not in html


def test_every_item_links_to_an_existing_session_anchor() -> None:
    r = make_report()
    html = render_html(r)
    ids = {a["id"] for _, a in _tags(html) if a.get("id")}
    for s in r.sessions:
        assert anchor(s.session_id) in ids
    targets = {
        a["href"][1:] for t, a in _tags(html) if t == "a" and (a.get("href") or "").startswith("#session-")
    }
    assert targets and targets <= ids
    assert 'title="claude_code session 0533cb2c-6524-4a66-9d1e-aaaaaaaaaaaa, turns t2–t9; also in' in html


def test_sections_are_collapsible_and_unknown_cost_shows_unknown() -> None:
    html = render_html(make_report(usage=usage(codex_cost=None)))
    assert html.count("<details open") == 9
    assert "<td>unknown</td>" in html
    assert ">unknown</text>" in html  # the model chart says so instead of drawing $0


def test_timeline_has_one_linked_bar_per_session_with_a_title() -> None:
    r = make_report(" ".join(EVIL))
    svg = str(timeline(r.sessions, day=r.date, tz=zone("UTC")))
    assert svg.count("<rect") == len(r.sessions)
    assert svg.count('<a href="#session-') == len(r.sessions)
    assert "&lt;script&gt;" in svg and "<script" not in svg
    assert f'href="#{anchor(S4)}"' in svg
    assert "23:40 (02-22) – 00:50 (02-23)" in svg  # the midnight session's hover text


def test_empty_day_html() -> None:
    from daily_report.schemas.usage import UsageReport

    empty = UsageReport(date="2026-02-22", timezone="UTC")
    html = render_html(make_report(sessions=[], results={}, day_results={}, usage=empty, failures=[]))
    assert "No sessions on this day." in html
    assert "No agent usage recorded for this day." in html
