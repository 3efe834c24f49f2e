"""The ``<earlier_parts>`` digest a later chunk of a session carries: what it needs from the parts before it.

A later chunk is read on its own, so it needs the goal and every correction the human made so far, and what
has already happened: tests run, commits, errors still open. The digest holds, deterministically:

- the turn range the earlier parts covered;
- EVERY human prompt so far, each shortened to one line (``[t12] …``);
- the outcomes so far, read from the condensed tool lines: the last test runs with their result line, the
  commits, and the errors still open (a failing command not followed by a successful run of the same one);
- the last AI reply, shortened.

Budget: ``DIGEST_TOKENS`` (400 o200k tokens) per chunk, reserved in every chunk after the first (see
``pipeline/chunking.py``). When everything does not fit, the prompts are shortened further (down to
``MIN_PROMPT_CHARS``), then the outcomes and the last reply are cut, then the oldest middle prompts give way
to a ``[… N more prompts …]`` line; the first prompt (the goal) always stays.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from daily_report.text.tokens import count_tokens

DIGEST_TOKENS = 400
PROMPT_CHARS = (220, 160, 110, 70)
MIN_PROMPT_CHARS = PROMPT_CHARS[-1]
REPLY_CHARS = 300
OUTCOME_CHARS = 140
MAX_TESTS = 2
MAX_COMMITS = 4
MAX_OPEN_ERRORS = 3

_MARKER = re.compile(r"^\[t(\d+)\](?: \([^)]*\))? ")
_TOOL = re.compile(r"^TOOL (\w+)\((.*?)\)(?: →\s*(.*))?$", re.DOTALL)
_CMD = re.compile(r'cmd="(.*?)"(?:,|$)')
_TEST_CMD = re.compile(
    r"\b(pytest|py\.test|unittest|npm (?:run )?test|yarn test|pnpm test|jest|vitest|cargo test|"
    r"go test|mvn test|gradle test|make test|tox|nox|ctest)\b"
)
_TEST_RESULT = re.compile(
    r"\d+ (?:passed|failed|errors?|tests? (?:passed|failed)|ok)\b|\bFAILED\b|\bOK\b", re.I
)
_FLAGS = re.compile(r"^(?:ERROR ?)?(?:exit -?\d+)?:? ?")
_ERROR_LINE = re.compile(r"error|exception|fail|denied|not found|cannot|invalid", re.I)
_COMMIT = re.compile(r"^\s*\[([\w./-]+) ([0-9a-f]{7,40})\] (.+)$", re.MULTILINE)


class Turn(Protocol):
    """A condensed turn, read only (``CondensedTurn`` is frozen)."""

    @property
    def index(self) -> int: ...
    @property
    def text(self) -> str: ...
    @property
    def role(self) -> str: ...


def _line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else f"{flat[: limit - 1]}…"


def _body(turn: Turn) -> str:
    """The turn's text without its ``[tN] (hint)`` marker and role tag."""
    return _MARKER.sub("", turn.text, count=1).removeprefix("USER: ").removeprefix("AI: ")


def outcomes(earlier: Sequence[Turn]) -> list[str]:
    """Tests run (the last ones), commits, and errors still open, from the condensed tool lines."""
    tests: list[str] = []
    commits: list[str] = []
    errors: dict[str, str] = {}  # command (or tool call) -> the error line, while still failing
    for turn in earlier:
        if turn.role != "tool":
            continue
        m = _TOOL.match(_body(turn))
        if m is None:
            continue
        name, args, result = m.group(1), m.group(2), m.group(3) or ""
        cmd = _CMD.search(args)
        what = cmd.group(1) if cmd else f"{name}({args})"
        failed = result.startswith("ERROR") or result.startswith("exit ")
        if _TEST_CMD.search(what):
            found = _TEST_RESULT.findall(result)
            verdict = ", ".join(dict.fromkeys(f.strip() for f in found)) or ("failed" if failed else "ran")
            tests.append(f"[t{turn.index}] {_line(what, 60)} → {verdict}")
        commits += [
            f"[t{turn.index}] {sha} on {branch}: {_line(msg, 60)}"
            for branch, sha, msg in _COMMIT.findall(result)
        ]
        if failed:
            lines = [ln.strip() for ln in result.splitlines() if ln.strip()]
            first = next(
                (ln for ln in lines[1:] if _ERROR_LINE.search(ln)), lines[1] if len(lines) > 1 else lines[0]
            )
            first = _FLAGS.sub("", first)
            errors.pop(what, None)  # re-inserted: the open errors stay in the order they last failed
            errors[what] = f"[t{turn.index}] {_line(what, 50)} → {_line(first, 80)}"
        else:
            errors.pop(what, None)
    lines = [f"- test: {t}" for t in tests[-MAX_TESTS:]]
    lines += [f"- commit: {c}" for c in commits[-MAX_COMMITS:]]
    lines += [f"- error still open: {e}" for e in list(errors.values())[-MAX_OPEN_ERRORS:]]
    return [_line(x, OUTCOME_CHARS) for x in lines]


def _compose(head: str, prompts: list[str], skipped: int, found: list[str], tail: list[str]) -> str:
    body = [head, "Human prompts so far:", *prompts[:1]]
    if skipped:
        body.append(f"[… {skipped} more prompts …]")
    body += prompts[1:]
    if found:
        body += ["Outcomes so far:", *found]
    return "\n".join(body + tail)


def build_digest(earlier: Sequence[Turn], *, max_tokens: int = DIGEST_TOKENS) -> str:
    """What came before, deterministically, within ``max_tokens`` o200k tokens (see the module docstring)."""
    from daily_report.text.condense import cut_tokens

    if not earlier or max_tokens <= 0:
        return ""
    head = f"Earlier parts covered turns t{earlier[0].index}-t{earlier[-1].index}."
    humans = [t for t in earlier if t.role == "human"]
    replies = [t for t in earlier if t.role == "assistant"]
    found = outcomes(earlier)
    tail = (
        [f"Last AI reply: [t{replies[-1].index}] {_line(_body(replies[-1]), REPLY_CHARS)}"] if replies else []
    )

    def fits(text: str) -> bool:
        return count_tokens(text) <= max_tokens

    for limit in PROMPT_CHARS:
        prompts = [f"[t{t.index}] {_line(_body(t), limit)}" for t in humans]
        text = _compose(head, prompts, 0, found, tail)
        if fits(text):
            return text
    # every prompt at the shortest: cut the reply, then the outcomes, then drop middle prompts (oldest first)
    for reply, outs in ((tail, found), ([], found), ([], found[-2:]), ([], [])):
        text = _compose(head, prompts, 0, outs, reply)
        if fits(text):
            return text
    keep = list(prompts)
    skipped = 0
    while len(keep) > 2 and not fits(_compose(head, keep, skipped, [], [])):
        keep.pop(1)
        skipped += 1
    text = _compose(head, keep, skipped, [], [])
    return text if fits(text) else cut_tokens(text, max_tokens, marker="[…]")
