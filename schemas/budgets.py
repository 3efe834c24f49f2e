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

# Each stage's output model lists its budgets as ``WORD_BUDGETS``: (path to the text, words). A path is "field",
# "list[].field" or "list[].a+b" (the fields' words summed). The eval's length scorer reads them from the model.
Budgets = tuple[tuple[str, int], ...]


def budgets_of(model: type) -> Budgets:
    """The word budgets an output model declares (none: an empty tuple)."""
    found: Budgets = getattr(model, "WORD_BUDGETS", ())
    return found


def at_most(words: int) -> str:
    """The budget as the descriptions and prompts state it."""
    return f"at most {words} words"


def word_count(text: str) -> int:
    """Words as a reader counts them: whitespace-separated tokens, and two CJK characters as one word."""
    cjk = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff")
    latin = sum(1 for tok in text.split() if any(not ("\u3400" <= ch <= "\u9fff") for ch in tok))
    return latin + (cjk + 1) // 2
