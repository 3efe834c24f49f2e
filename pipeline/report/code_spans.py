"""Inline code spans (`like this`) in transcript-derived text, found once and rendered by both renderers.

The split follows CommonMark: a backtick run opens a span closed by the next run of the same length; a
backslash-escaped backtick opens nothing; an unmatched run is literal text. The Markdown renderer escapes
every backtick it leaves outside a span, so a viewer finds exactly the spans found here and nothing that
was text can turn into code or back (text is escaped, code is not: code spans show their content as is).
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_RUN = re.compile(r"`+")
_ESCAPABLE = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def split_code(text: str) -> list[tuple[str, bool]]:
    """``text`` as (piece, is_code) pairs in order; a code piece is the span's content (delimiters and the
    one padding space CommonMark strips removed). Unmatched backticks stay in the text pieces."""
    out: list[tuple[str, bool]] = []
    start = i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in _ESCAPABLE:
            i += 2
            continue
        if ch != "`":
            i += 1
            continue
        run = _RUN.match(text, i)
        assert run is not None
        n = len(run.group(0))
        close = _closing(text, run.end(), n)
        if close is None:
            i = run.end()
            continue
        if start < i:
            out.append((text[start:i], False))
        out.append((_strip_padding(text[run.end() : close]), True))
        start = i = close + n
    if start < len(text):
        out.append((text[start:], False))
    return out


def _closing(text: str, pos: int, n: int) -> int | None:
    for m in _RUN.finditer(text, pos):
        if len(m.group(0)) == n:
            return m.start()
    return None


def _strip_padding(content: str) -> str:
    if len(content) >= 2 and content[0] == " " and content[-1] == " " and content.strip(" "):
        return content[1:-1]
    return content


def has_code(text: str) -> bool:
    return "`" in text and any(is_code for _, is_code in split_code(text))


# ---------------------------------------------------------------- HTML


def code_html(text: str) -> Markup:
    """Escaped text with each code span as ``<code>``: no markup from the text itself can pass."""
    return Markup("").join(
        Markup("<code>{}</code>").format(piece) if is_code else escape(piece)
        for piece, is_code in split_code(text)
    )


def code_plain(text: str) -> str:
    """The text with its code spans' delimiters dropped: for attributes (tooltips), where no tag may go."""
    return "".join(piece for piece, _ in split_code(text))


# ---------------------------------------------------------------- Markdown


def code_markdown(content: str) -> str:
    """A code span holding ``content`` verbatim: delimited by a backtick run that does not occur inside it,
    padded with a space when the content starts or ends with a backtick (or with a space on both sides)."""
    runs = {len(m.group(0)) for m in _RUN.finditer(content)}
    n = next(k for k in range(1, len(runs) + 2) if k not in runs)
    fence = "`" * n
    pad = content[:1] == "`" or content[-1:] == "`" or (content[:1] == " " and content[-1:] == " ")
    return f"{fence} {content} {fence}" if pad and content.strip(" ") else f"{fence}{content}{fence}"


def escape_backticks(text: str) -> str:
    """Every backtick that a backslash does not already escape gets one, so it stays literal."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in _ESCAPABLE:
            out.append(text[i : i + 2])
            i += 2
            continue
        out.append("\\`" if ch == "`" else ch)
        i += 1
    return "".join(out)
