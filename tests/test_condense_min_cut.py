"""A cap that would leave out only a few characters keeps the text whole: the marker costs more than it
saves, and the words it splits (a human's answer, in the case that showed it) lose their meaning."""

from daily_report.text.condense import cut_lines
from daily_report.text.tool_calls import MIN_CUT_CHARS, _cut


def test_a_line_just_over_the_cap_is_kept_whole() -> None:
    line = "main was clean; fix the issues " + "x" * 380  # 411 chars against a 400 cap
    assert len(line) - 400 < MIN_CUT_CHARS
    assert cut_lines(line, head=5, tail=5, line_chars=400) == line


def test_a_line_well_over_the_cap_is_cut_with_its_count() -> None:
    line = "a" * 300 + "b" * 300
    out = cut_lines(line, head=5, tail=5, line_chars=400)
    assert "[… 200 chars …]" in out
    assert len(out) < len(line)


def test_an_argument_just_over_its_cap_is_kept_whole() -> None:
    limit = 120
    near, far = "y" * (limit + MIN_CUT_CHARS - 1), "z" * 2000
    assert _cut(near, limit) == near
    cut = _cut(far, limit)
    assert cut.startswith("z" * limit) and cut.endswith(f"…(+{2000 - limit} chars)")
