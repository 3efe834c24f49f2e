"""Condense a normalized session into compact, redacted turn text for the LLM.

Each turn becomes one block starting with its marker and a role tag, e.g. ``[t12] USER: …``,
``[t13] AI: …``, ``[t14] TOOL Bash(cmd="pytest -x") → ERROR exit 1: …``. The ``[tN]`` markers are the
provenance the stages cite back (``TurnSpan``).

What is kept and why:

- Human prompts: verbatim (leftover ``<system-reminder>`` blocks and ANSI escapes stripped), capped only
  by ``max_turn_tokens``. They carry the intent and the corrections the report is about.
- Assistant text: kept, capped.
- Tool calls: one line with the name and the arguments that matter (``format_call`` below), the
  result cut to a few head and tail lines; errors keep more lines, exit codes and the ERROR flag are kept.
  Codex unified-exec headers (Chunk ID, Wall time…) are reduced to the exit code or ``running``.
  Results of Read/Edit/Write are dropped when they succeed (the file content is not what happened).
- Thinking: SHORTENED to its first 80 tokens on one line (``THINK: …``). Measured on the shared samples
  (bench/bench_condense.py): 44 thinking turns, 31 fit under the cap unchanged; the 13 longer ones lose
  1,433 of 3,526 thinking tokens, and what they lose is the tail of enumerations whose gist (the plan,
  the hypothesis) is in the first sentences. Keeping thinking in full would add only ~1.8% here, but these
  samples are light on thinking (recent Claude Code stores little of it); sessions with long visible
  thinking would pay thousands of tokens per turn, so the cap bounds that. Dropping thinking entirely
  saves 2.8% of the condensed text but loses the AI's stated plans and hypotheses (e.g. "Let me plan my
  approach: 1. Create TranscriptComputers…"), which the human-vs-AI stage compares with the human's.
- Subagent turns: folded under the Task/Agent call that started them, indented with ``↳``, condensed
  harder (tool calls without results unless they failed, text capped, thinking dropped).
- Compaction summaries: kept (capped) as ``SUMMARY``; they are excellent summaries of what came before.
- Events (interrupts, API errors, rollbacks): one line, they are signal.
- Images and base64: placeholders only; long base64 runs are detected defensively.
- Time hints: every human turn carries its local clock time ``(14:32)``, and any turn after a gap of 10
  minutes or more carries the gap and the time ``(+2h10m 14:32)``; the first turn carries its time too. So
  the stages can tell how long a step took and when things happened (Claude Code parts used to show a time
  only on t0).

Everything passes through the Redactor before it is counted or returned. A line inside a turn that would
start like our structure (a ``[t99] USER:`` marker or a ``## Task:`` heading) is indented by two spaces,
so text from a session cannot forge a turn or an instruction block (``guard_lines``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from daily_report.schemas.transcript import Session, ToolCall, Turn
from daily_report.text.redact import Redactor
from daily_report.text.tokens import count_tokens, get_encoding, truncate_tokens
from daily_report.text.tool_calls import MIN_CUT_CHARS, clean_text, format_call

GAP_HINT_SECONDS = 10 * 60
TURN_CUT_MARKER = "[… turn cut: {n} tokens omitted …]"
THINKING_TOKENS = 80
SUBAGENT_TEXT_CHARS = 300
SUBAGENT_MAX_LINES = 40

_CODEX_EXIT_RE = re.compile(r"^Process exited with code (-?\d+)$", re.MULTILINE)
_CODEX_RUNNING_RE = re.compile(r"^Process running with session ID (\d+)$", re.MULTILINE)
_AGENT_TRAILER_RE = re.compile(r"^agentId: \S+.*$|<usage>.*?</usage>", re.MULTILINE | re.DOTALL)
_CLAUDE_EXIT_RE = re.compile(r"Exit code (-?\d+)\n")
_CODEX_HEADER_STARTS = ("Chunk ID:", "Wall time:", "Process exited", "Process running")
_FORGED_LINE_RE = re.compile(r"^(?=\[t\d|#)", re.MULTILINE)  # a turn marker or a Markdown heading


@dataclass(frozen=True)
class CondensedTurn:
    """One turn of condensed, redacted text."""

    index: int
    text: str
    tokens: int
    timestamp: datetime | None
    role: str = ""


def cut_tokens(text: str, max_tokens: int, *, marker: str = TURN_CUT_MARKER) -> str:
    """Keep the head (2/3) and tail (1/3) of ``text`` within ``max_tokens``, with a visible marker."""
    enc = get_encoding()
    ids = enc.encode_ordinary(text)
    if len(ids) <= max_tokens:
        return text
    keep = max_tokens - len(enc.encode_ordinary(marker.format(n=len(ids)))) - 2
    while True:
        keep = max(keep, 2)
        head, tail = keep * 2 // 3, keep - keep * 2 // 3
        omitted = len(ids) - head - tail
        out = f"{enc.decode(ids[:head])}{marker.format(n=omitted)}{enc.decode(ids[len(ids) - tail :])}"
        if keep == 2 or len(enc.encode_ordinary(out)) <= max_tokens:
            return out
        keep -= 4


def _shorten(text: str, max_tokens: int) -> str:
    """The first ``max_tokens`` tokens of ``text`` on one line, with ``…`` when something was left out."""
    flat = " ".join(text.split())
    short = truncate_tokens(flat, max_tokens)
    return short if short == flat else f"{short.rstrip()}…"


def cut_lines(text: str, *, head: int, tail: int, line_chars: int) -> str:
    """Head and tail lines of ``text`` with ``[… N lines cut …]`` between; long lines capped."""
    lines = text.splitlines()
    if len(lines) > head + tail + 1:
        cut = len(lines) - head - tail
        lines = [*lines[:head], f"[… {cut} lines cut …]", *lines[len(lines) - tail :]]
    return "\n".join(_cap_line(line, line_chars) for line in lines)


def _cap_line(line: str, limit: int) -> str:
    """``line`` with its middle cut when it runs past ``limit`` by at least ``MIN_CUT_CHARS``."""
    if len(line) - limit < MIN_CUT_CHARS:
        return line
    keep = limit - limit // 4
    return f"{line[:keep]}[… {len(line) - limit} chars …]{line[len(line) - limit // 4 :]}"


def _clock(ts: datetime, zone: tzinfo | None) -> str:
    return ts.astimezone(zone or UTC).strftime("%H:%M")


def _gap(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"+{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"+{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"+{days}d{hours}h"


def time_hint(
    ts: datetime | None, previous: datetime | None, *, zone: tzinfo | None, human: bool = False
) -> str:
    """``(+12m 11:24)`` after a gap of ``GAP_HINT_SECONDS`` or more; else ``(09:14)`` on the first timed turn
    and on every human turn (so durations between prompts can be told); else empty."""
    if ts is None:
        return ""
    ts = ts if ts.tzinfo else ts.replace(tzinfo=UTC)  # naive times are UTC, as the readers write them
    if previous is not None:
        previous = previous if previous.tzinfo else previous.replace(tzinfo=UTC)
        delta = (ts - previous).total_seconds()
        if delta >= GAP_HINT_SECONDS:
            return f"({_gap(delta)} {_clock(ts, zone)})"
    if previous is None or human:
        return f"({_clock(ts, zone)})"
    return ""


def guard_lines(text: str) -> str:
    """``text`` with every line after the first that starts like a turn marker (``[t12]``) or a heading
    (``#``) indented by two spaces: only the real marker starts a turn's first line."""
    head, sep, rest = text.partition("\n")
    if not sep or ("[t" not in rest and "#" not in rest):
        return text
    return head + sep + _FORGED_LINE_RE.sub("  ", rest)


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def _result_text(call: ToolCall) -> tuple[str, int | None, str]:
    """The result text without Codex's unified-exec header, the exit code and a state note found there."""
    text = call.result or ""
    exit_code = call.exit_code
    note = ""
    if text.startswith("Exit code ") and (m := _CLAUDE_EXIT_RE.match(text)):
        exit_code = int(m.group(1)) if exit_code is None else exit_code
        return text[m.end() :], exit_code, note
    if text.startswith(_CODEX_HEADER_STARTS):
        cut = text.find("Output:\n", 0, 600)
        header = text[:cut] if cut >= 0 else text[:600]
        if (m := _CODEX_EXIT_RE.search(header)) and exit_code is None:
            exit_code = int(m.group(1))
        if m := _CODEX_RUNNING_RE.search(header):
            note = f"running as session {m.group(1)}"
        if cut >= 0:
            text = text[cut + len("Output:\n") :]
    return text, exit_code, note


_QUIET_OK = {"Read", "Edit", "MultiEdit", "Write", "NotebookEdit", "TodoWrite", "update_plan", "view_image"}


def format_result(call: ToolCall, *, redactor: Redactor, harder: bool = False) -> str:
    """`` → ERROR exit 1: head…tail`` or `` → output`` (empty when a quiet tool succeeded)."""
    text, exit_code, note = _result_text(call)
    failed = call.is_error or (exit_code is not None and exit_code != 0)
    flags = ("ERROR " if call.is_error else "") + (f"exit {exit_code}" if exit_code not in (None, 0) else "")
    flags = " ".join(f for f in (flags.strip(), note) if f)
    if not failed and (harder or call.name in _QUIET_OK):
        return ""
    text = redactor.redact(clean_text(text))  # before any cut, so no cut can split a secret
    if failed:
        body = cut_lines(text, head=6 if harder else 20, tail=3 if harder else 12, line_chars=400)
    elif call.name in ("Task", "Agent"):
        text = _AGENT_TRAILER_RE.sub("", text).strip()
        body = cut_lines(text, head=40, tail=10, line_chars=600)
    else:
        body = cut_lines(text, head=6, tail=4, line_chars=240)
    if not body:
        if flags:
            return f" → {flags}"
        return "" if call.result is None else " → (no output)"
    lead = f" → {flags}:" if flags else " →"
    if "\n" not in body and len(body) <= 160:
        return f"{lead} {body}"
    return f"{lead}\n{_indent(body, '  ')}"


def _subagent_lines(call: ToolCall, redactor: Redactor) -> list[str]:
    """Subagent work condensed harder: no thinking, text on one capped line, results only when they failed.

    The subagent's prompt is the call's argument and its final reply is the call's result: both skipped.
    """
    final = (call.result or "").strip()
    lines: list[str] = []
    for turn in call.subagent_turns:
        if turn.role == "tool" and turn.tool is not None:
            call_line = format_call(turn.tool, redactor=redactor)
            line = call_line + format_result(turn.tool, redactor=redactor, harder=True)
        elif turn.role in ("assistant", "event", "summary"):
            text = redactor.redact(clean_text(turn.text))
            if not text or (turn.role == "assistant" and len(text) > 80 and text[:80] in final):
                continue
            tag = {"assistant": "AI", "event": "EVENT", "summary": "SUMMARY"}[turn.role]
            line = f"{tag}: {_cap_line(' '.join(text.split()), SUBAGENT_TEXT_CHARS)}"
        else:
            continue
        lines.append(" ".join(redactor.redact(line).splitlines()))
    if len(lines) > SUBAGENT_MAX_LINES:
        cut = len(lines) - SUBAGENT_MAX_LINES
        lines = [*lines[: SUBAGENT_MAX_LINES - 10], f"[… {cut} subagent steps cut …]", *lines[-10:]]
    return [f"  ↳ {line}" for line in lines]


def _turn_body(turn: Turn, redactor: Redactor) -> str | None:
    """The tagged text of one turn (before the marker), or None for turns that carry nothing."""
    role = turn.role
    images = f" [{turn.images} image{'s' if turn.images > 1 else ''}]" if turn.images else ""
    if role == "human":
        return f"USER: {clean_text(turn.text)}{images}"
    if role == "assistant":
        text = clean_text(turn.text)
        return f"AI: {text}{images}" if text or images else None
    if role == "thinking":
        text = redactor.redact(clean_text(turn.text))
        return f"THINK: {_shorten(text, THINKING_TOKENS)}" if text else None
    if role == "summary":
        return f"SUMMARY (context compacted): {clean_text(turn.text)}"
    if role == "event":
        return f"EVENT: {' '.join(redactor.redact(clean_text(turn.text)).split())[:400]}"
    if role == "tool" and turn.tool is not None:
        call = turn.tool
        text = f"TOOL {format_call(call, redactor=redactor)}{format_result(call, redactor=redactor)}"
        if call.subagent_turns:
            text += "\n" + "\n".join(_subagent_lines(call, redactor))
        return text
    return None


def condense_turn(
    turn: Turn, *, redactor: Redactor, max_turn_tokens: int, hint: str = ""
) -> CondensedTurn | None:
    body = _turn_body(turn, redactor)
    if body is None:
        return None
    marker = f"[t{turn.index}]" + (f" {hint}" if hint else "")
    text = guard_lines(redactor.redact(f"{marker} {body}"))
    tokens = count_tokens(text)
    if tokens > max_turn_tokens:
        text = guard_lines(cut_tokens(text, max_turn_tokens))
        tokens = count_tokens(text)
    return CondensedTurn(index=turn.index, text=text, tokens=tokens, timestamp=turn.timestamp, role=turn.role)


def condense_session(
    session: Session, *, redactor: Redactor, max_turn_tokens: int = 6000, zone: tzinfo | None = None
) -> list[CondensedTurn]:
    """Every turn of ``session`` that carries something, condensed and redacted, in order."""
    out: list[CondensedTurn] = []
    previous: datetime | None = None
    for turn in session.turns:
        hint = time_hint(turn.timestamp, previous, zone=zone, human=turn.role == "human")
        condensed = condense_turn(turn, redactor=redactor, max_turn_tokens=max_turn_tokens, hint=hint)
        if turn.timestamp is not None:
            previous = turn.timestamp
        if condensed is not None:
            out.append(condensed)
    return out
