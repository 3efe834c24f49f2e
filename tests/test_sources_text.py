"""Text clean-up used by the readers: reminders, ANSI, base64 placeholders."""

from __future__ import annotations

import base64

from daily_report.sources.text import clean, image_block_placeholder, parse_ts, scrub_base64


def test_long_base64_runs_and_data_urls_become_placeholders() -> None:
    blob = base64.b64encode(bytes(range(256)) * 40).decode()  # 13,656 chars
    text = f"before {blob} after data:image/jpeg;base64,{blob[:3000]} end"
    out = scrub_base64(text)
    assert out == "before [base64 10KB] after [image jpeg 2KB] end"
    words = "word " * 1000 + "x" * 1999  # long text, but no run of 2,000 base64 characters
    assert scrub_base64(words) == words


def test_clean_strips_reminders_and_ansi() -> None:
    text = "fix it\x1b[2m now\x1b[22m<system-reminder>todo list empty</system-reminder>"
    assert clean(text) == "fix it now"
    assert clean("<system-reminder>cut short") == ""


def test_image_placeholders_never_hold_data() -> None:
    block = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "A" * 4096}}
    assert image_block_placeholder(block) == "[image png 3KB]"
    assert (
        image_block_placeholder({"type": "input_image", "image_url": "https://x/y.png"})
        == "[image https://x/y.png]"
    )


def test_parse_ts_variants() -> None:
    assert str(parse_ts("2026-02-12T16:02:23.545Z")) == "2026-02-12 16:02:23.545000+00:00"
    assert str(parse_ts("2026-02-12T18:02:23+02:00")) == "2026-02-12 16:02:23+00:00"
    assert parse_ts("yesterday") is None and parse_ts(None) is None
