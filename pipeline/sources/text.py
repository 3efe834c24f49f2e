"""Text clean-up shared by the readers: timestamps, reminders, ANSI, images and base64 placeholders."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

_REMINDER_RE = re.compile(
    r"<system-reminder>.*?</system-reminder>", re.DOTALL
)  # closed blocks only: a prompt that merely mentions the tag keeps its text
_ANSI_RE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07")
_DATA_URL_RE = re.compile(r"data:(image|application|audio|video)/([\w.+-]+);base64,([A-Za-z0-9+/=]+)")
_BASE64_RUN_RE = re.compile(r"[A-Za-z0-9+/]{64,}={0,2}")  # short floor: no quadratic retries in long runs
_BASE64_MIN = 2000


def parse_ts(value: Any) -> datetime | None:
    """An ISO-8601 timestamp (``Z`` or offset) as an aware UTC datetime; None when absent or bad."""
    if not isinstance(value, str) or not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt if dt.tzinfo is UTC else dt.astimezone(UTC)  # 'Z' gives UTC itself: no conversion


def strip_reminders(text: str) -> str:
    """Drop injected ``<system-reminder>`` blocks (not user intent)."""
    if "<system-reminder>" not in text:
        return text
    text = _REMINDER_RE.sub("", text).strip()
    if text.startswith("<system-reminder>"):  # an injected block cut short: nothing of the user's follows
        return ""
    return text


def strip_ansi(text: str) -> str:
    return _ANSI_RE.sub("", text) if "\x1b" in text else text


def kb(n_bytes: int) -> str:
    return f"{max(1, round(n_bytes / 1024))}KB"


def image_placeholder(media_type: str | None, b64_len: int) -> str:
    """``[image png 830KB]`` from a media type and the length of its base64 data."""
    kind = (media_type or "image/?").split("/")[-1] or "?"
    return f"[image {kind} {kb(b64_len * 3 // 4)}]"


def scrub_base64(text: str) -> str:
    """Replace data URLs and long base64 runs in free text by placeholders."""
    if len(text) < 200:
        return text
    if "base64," in text:
        text = _DATA_URL_RE.sub(
            lambda m: image_placeholder(f"{m.group(1)}/{m.group(2)}", len(m.group(3))), text
        )
    if len(text) >= _BASE64_MIN:
        text = _BASE64_RUN_RE.sub(_base64_run, text)
    return text


def _base64_run(m: re.Match[str]) -> str:
    run = m.group(0)
    return f"[base64 {kb(len(run) * 3 // 4)}]" if len(run) >= _BASE64_MIN else run


def clean(text: str) -> str:
    """Reminders, ANSI escapes and base64 out; used on every text a reader keeps."""
    return scrub_base64(strip_ansi(strip_reminders(text)))


def has_text(text: str) -> bool:
    """``clean(text).strip()`` is not empty, without scrubbing: a scrubbed run becomes a placeholder, so
    scrubbing never empties a text (the stats scan asks this of every assistant text)."""
    kept = strip_ansi(strip_reminders(text))
    return bool(kept) and not kept.isspace()  # ``strip()`` without the copy


def image_block_placeholder(block: dict[str, Any]) -> str:
    """A Claude ``image`` block (or Codex ``input_image``) as a placeholder, never the data."""
    source = block.get("source")
    if isinstance(source, dict):
        data = source.get("data")
        if isinstance(data, str):
            return image_placeholder(source.get("media_type"), len(data))
        return "[image]"
    url = block.get("image_url")
    if isinstance(url, str):
        m = _DATA_URL_RE.match(url)
        if m:
            return image_placeholder(f"{m.group(1)}/{m.group(2)}", len(m.group(3)))
        return "[image]" if url.startswith("data:") else f"[image {url[:200]}]"
    return "[image]"
