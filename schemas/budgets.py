"""Length budgets in words: one table, read by the schema descriptions, the prompts and the eval's length scorer.

The figures follow the reference reports (a reader with five minutes): a task is a bold title plus one or two
sentences, an issue four short fields, a session summary one short paragraph.
"""

from __future__ import annotations

TASK = 60  # title + details together
ISSUE_PROBLEM = 35
ISSUE_CAUSE = 35
ISSUE_SOLUTION = 40
ISSUE_INSIGHT = 30
OVERVIEW_BULLET = 70
DEVICE_BULLET = 50
DAY_SUMMARY = 60  # the Overview's closing paragraph: one or two sentences
ROLE_CELL = 35  # human and ai cells of a human-vs-AI topic
ANALYSIS = 40
LIMITATION = 45
TAKEAWAY = 50
SESSION_SUMMARY = 90
PROJECT_SUMMARY = 80

# stage -> (path to the text, budget). A path is "field", "list[].field" or "list[].a+b" (fields summed).
BY_STAGE: dict[str, tuple[tuple[str, int], ...]] = {
    "facts": (("summary", SESSION_SUMMARY),),
    "tasks": (("tasks[].title+details", TASK),),
    "issues": (
        ("issues[].problem", ISSUE_PROBLEM),
        ("issues[].cause", ISSUE_CAUSE),
        ("issues[].solution", ISSUE_SOLUTION),
        ("issues[].key_insight", ISSUE_INSIGHT),
    ),
    "human_ai": (
        ("topics[].human", ROLE_CELL),
        ("topics[].ai", ROLE_CELL),
        ("topics[].analysis", ANALYSIS),
        ("limitations[].limitation", LIMITATION),
    ),
    "takeaways": (("takeaways[].text", TAKEAWAY),),
    "projects": (("summary", PROJECT_SUMMARY),),
    "overview": (
        ("what_was_done", OVERVIEW_BULLET),
        ("how_it_was_done", OVERVIEW_BULLET),
        ("why_it_matters", OVERVIEW_BULLET),
        ("devices[].what_was_done", DEVICE_BULLET),
        ("devices[].how_it_was_done", DEVICE_BULLET),
        ("devices[].why_it_matters", DEVICE_BULLET),
        ("summary", DAY_SUMMARY),
    ),
}


def at_most(words: int) -> str:
    """The budget as the descriptions and prompts state it."""
    return f"at most {words} words"


def word_count(text: str) -> int:
    """Words as a reader counts them: whitespace-separated tokens, and two CJK characters as one word."""
    cjk = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff")
    latin = sum(1 for tok in text.split() if any(not ("\u3400" <= ch <= "\u9fff") for ch in tok))
    return latin + (cjk + 1) // 2
