"""Tests of values and names shared by the redaction rules (is it random-looking, does a name or a dict key
name a secret), kept apart so the rule tables stay readable."""

from __future__ import annotations

import math
import re
from collections import Counter

PLACEHOLDER_PREFIX = "[REDACTED:"


def randomish(m: re.Match[str]) -> bool:
    """The value (group ``v``, else the match) has both letters and digits: a key, not a word or a name."""
    value = m.group("v") if "v" in m.re.groupindex else m.group(0)
    return any(ch.isdigit() for ch in value) and any(ch.isalpha() for ch in value)


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values()) if n else 0.0


# Names that end in key/token/sig but do not name a secret: ``cache_key``, ``max_tokens``, ``publicKey``.
_NOT_A_SECRET_NAME = re.compile(
    r"(?i)(?:cache|public|primary|foreign|sort|partition|idempotency|dedupe?|lookup|hash|row|map|group|object|"
    r"message|request|page|cursor|next|prev|max|min|num|total|count|input|output|prompt|completion|"
    r"translation|i18n|hot|short|pub|design|react|list|dict|item|column|field|index|event|job)[_.-]?"
    r"(?:key|token|sig|signature)s?$"
)
_PATHLIKE = re.compile(r"(?:[A-Za-z_][\w-]*[./]){2,}[A-Za-z_][\w-]*\.?\w*")
ENTROPY_MIN = 3.5  # bits per char: random base64 of 20+ chars is above 4, hex about 3.7, words below 3.3


def high_entropy(m: re.Match[str]) -> bool:
    """The entropy fallback's value test: long, letters and digits, random-looking, not a path or a
    dotted name, under a name that is not a known non-secret (``cache_key``)."""
    value, name = m.group("v"), _name_ending_at(m.string, m.end("kw"))
    return (
        randomish(m)
        and entropy(value) >= ENTROPY_MIN
        and _NOT_A_SECRET_NAME.search(name) is None
        and _PATHLIKE.fullmatch(value) is None
    )


def _name_ending_at(text: str, end: int) -> str:
    """The identifier (``[A-Za-z0-9_.-]``, at most 60 chars) that ends at ``end``."""
    start = end
    while start > 0 and end - start < 60 and (text[start - 1].isalnum() or text[start - 1] in "_.-"):
        start -= 1
    return text[start:end]


# --- key-aware redaction of tool arguments -------------------------------------------------------

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SECRET_KEY = re.compile(
    r"(?:^|[^a-z])(?:password|passwd|passphrase|pwd|pass|secret|token|api_?key|access_?key|private_?key|"
    r"secret_?key|auth|authorization|credentials?|client_?secret|auth_?key|signing_?key|master_?key)$"
)
_NOT_A_VALUE = re.compile(r"^(?:\$\{?\w+\}?|\{\{[^}]*\}\}|(?i:none|null|nil|true|false|undefined)|)$")


def secret_key_rule(key: object) -> str | None:
    """The rule name for a dict key that names a secret (``api_key``, ``dbPassword``, ``X-Auth-Token``), or
    None: a value under such a key is a secret whatever its shape."""
    if not isinstance(key, str) or len(key) > 80:
        return None
    norm = _CAMEL.sub("_", key.strip()).lower().replace("-", "_")
    m = _SECRET_KEY.search(norm)
    if m is None:
        return None
    word = m.group(0)
    if "pass" in word or "pwd" in word:
        return "password-assignment"
    if "token" in word:
        return "token-assignment"
    if "secret" in word or "cred" in word or "auth" in word:
        return "secret-assignment"
    return "key-assignment"


def is_value_reference(value: str) -> bool:
    """An empty value, ``$VAR``, ``${VAR}``, ``{{ template }}``, a placeholder or none/null/true/false."""
    return PLACEHOLDER_PREFIX in value or _NOT_A_VALUE.match(value.strip()) is not None
