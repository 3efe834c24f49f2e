"""Tool calls on one line: the tool name and the arguments that matter (``Bash(cmd="pytest -x")``).

Secrets: the arguments are redacted key-aware first (a value under ``api_key``/``password``… is replaced
whole), and every piece of text is redacted again in full before any length cap cuts it, so no cut can
split a secret (a cut after redaction only shortens placeholders' neighbours, never a placeholder).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable

import orjson
from daily_report.schemas.transcript import ToolCall
from daily_report.text.redact import Redactor, safe_cut

ARG_CHARS = 300
JSON_CHARS = 200
_PATCH_FILE_RE = re.compile(r"^\*\*\* (Add|Update|Delete) File: (.+)$", re.MULTILINE)

Redact = Callable[[str], str]


_REMINDER_RE = re.compile(r"<system-reminder>.*?</system-reminder>", re.DOTALL)  # closed blocks only
_ANSI_RE = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_DATA_URL_RE = re.compile(r"data:([\w.+-]+)/([\w.+-]+);base64,[A-Za-z0-9+/=\s]{16,}")
_BASE64_RE = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{300,}={0,2}")


def clean_text(text: str) -> str:
    """Strip injected reminders and ANSI escapes; replace data URLs and long base64 runs by placeholders."""
    if "<system-reminder>" in text:
        text = _REMINDER_RE.sub("", text)
    if "\x1b" in text:
        text = _ANSI_RE.sub("", text)
    if "base64," in text:
        text = _DATA_URL_RE.sub(
            lambda m: f"[{m.group(1)} {m.group(2)} ~{max(1, len(m.group(0)) * 3 // 4096)}KB]", text
        )
    if len(text) >= 300:
        text = _BASE64_RE.sub(lambda m: f"[base64 ~{max(1, len(m.group(0)) * 3 // 4096)}KB]", text)
    return text.strip()


def _same(text: str) -> str:
    return text


MIN_CUT_CHARS = 40  # a cut shorter than this saves less than it costs: the marker, and words lost mid-way


def _cut(text: str, limit: int) -> str:
    """``text`` capped at about ``limit`` chars with the count of what was left out; a placeholder the cap
    would split is kept whole (the cap runs after redaction, so only placeholders can be split, never
    secrets)."""
    if len(text) - limit < MIN_CUT_CHARS:
        return text
    end = safe_cut(text, limit)
    return text if end >= len(text) else f"{text[:end]}…(+{len(text) - end} chars)"


def _q(value: object, limit: int = ARG_CHARS, *, red: Redact = _same) -> str:
    text = red(str(value).strip()).replace("\n", " ⏎ ")
    return f'"{_cut(text, limit)}"'


def _lines(value: object) -> int:
    return len(value.splitlines()) if isinstance(value, str) else 0


def _command(args: dict[str, object]) -> str:
    cmd = args.get("command", args.get("cmd", ""))
    if isinstance(cmd, list):
        parts = [str(p) for p in cmd]
        if (
            len(parts) >= 3
            and parts[0].rsplit("/", 1)[-1] in ("bash", "sh", "zsh")
            and parts[1].startswith("-")
        ):
            return parts[-1]
        return shlex.join(parts)
    return str(cmd)


def _path(args: dict[str, object]) -> str:
    return str(args.get("file_path") or args.get("path") or args.get("notebook_path") or "")


def _patch_summary(patch: str) -> str:
    files = [f"{op.lower()} {path.strip()}" for op, path in _PATCH_FILE_RE.findall(patch)]
    added = sum(1 for line in patch.splitlines() if line.startswith("+") and not line.startswith("+++"))
    removed = sum(1 for line in patch.splitlines() if line.startswith("-") and not line.startswith("---"))
    shown = ", ".join(files[:8]) + (f", +{len(files) - 8} more" if len(files) > 8 else "")
    return f"{shown or 'no files'}; +{added}/-{removed} lines"


def _todos(items: object, red: Redact) -> str:
    if not isinstance(items, list):
        return ""
    marks = {"completed": "✓", "in_progress": "→", "pending": "○"}
    shown = []
    for item in items[:12]:
        if isinstance(item, dict):
            label = " ".join(red(str(item.get("content") or item.get("step") or "")).split())
            shown.append(f"{marks.get(str(item.get('status')), '·')} {_cut(label, 80)}")
    return "; ".join(shown)


def _args_text(name: str, args: dict[str, object], red: Redact) -> str:
    if name in ("Bash", "shell", "exec_command", "local_shell", "shell_command"):
        return f"cmd={_q(_command(args), red=red)}"
    if name in ("Edit", "MultiEdit"):
        edits = args.get("edits")
        if isinstance(edits, list):
            return f"{_path(args)}, {len(edits)} edits"
        return f"{_path(args)}, -{_lines(args.get('old_string'))}/+{_lines(args.get('new_string'))} lines"
    if name == "Write":
        return f"{_path(args)}, {_lines(args.get('content'))} lines"
    if name in ("Read", "NotebookEdit", "NotebookRead", "view_image"):
        span = f", from line {args['offset']}" if args.get("offset") else ""
        return f"{_path(args)}{span}"
    if name in ("Grep", "Glob"):
        bits = [f"pattern={_q(args.get('pattern', ''), 120, red=red)}"]
        bits += [f"{k}={_q(args[k], 120, red=red)}" for k in ("path", "glob", "type") if args.get(k)]
        return ", ".join(bits)
    if name in ("Task", "Agent"):
        kind = args.get("subagent_type") or "agent"
        desc, prompt = _q(args.get("description", ""), 120, red=red), _q(args.get("prompt", ""), 400, red=red)
        return f"{kind}: {desc}, prompt={prompt}"
    if name == "write_stdin":
        chars = args.get("chars")
        return f"session {args.get('session_id')}" + (f", chars={_compact_json(chars, red)}" if chars else "")
    if name == "apply_patch":
        return _patch_summary(str(args.get("input") or args.get("patch") or ""))
    if name in ("TodoWrite", "update_plan"):
        return _todos(args.get("todos") or args.get("plan"), red)
    if name in ("WebFetch", "WebSearch", "web_search"):
        return _q(args.get("url") or args.get("query") or "", 200, red=red)
    return _compact_json(args, red)


def _compact_json(args: object, red: Redact) -> str:
    """The arguments as compact JSON, redacted in full (keys and values together) before the cap."""
    try:
        text = orjson.dumps(args, default=str).decode()
    except TypeError:
        text = str(args)
    return _cut(red(text), JSON_CHARS)


def format_call(call: ToolCall, *, redactor: Redactor | None = None) -> str:
    """``Bash(cmd="pytest -x")``: the tool name and the arguments that matter, on one line.

    With a redactor, the arguments are redacted key-aware (``redact_dict``) and every text is redacted again
    in full before any cap, so no cut can split a secret.
    """
    args = call.arguments
    red: Redact = _same if redactor is None else redactor.redact
    if redactor is not None:
        args = redactor.redact(args) if isinstance(args, str) else redactor.redact_dict(args)
    if isinstance(args, str):
        inner = _patch_summary(args) if call.name == "apply_patch" else _q(args, 200, red=red)
    else:
        inner = _args_text(call.name, args, red)
    return f"{call.name}({clean_text(inner)})"
