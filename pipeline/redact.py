"""Secret redaction: applied to every piece of transcript text before it leaves the machine or is stored.

Design, for speed with stdlib ``re`` (google-re2 is not a dependency):

- Each rule is a separate pattern led by a literal keyword (``sk-ant-``, ``AKIA``, ``Bearer``, ``TOKEN``…)
  so that the regex engine can skip quickly, and each rule has a cheap substring prefilter: a rule whose
  needles do not occur in the text is not run at all. Most transcript text contains no needle.
- Specific rules run before generic ones, so a key inside ``API_KEY="sk-ant-…"`` is named by its vendor.
- A placeholder is ``[REDACTED:<rule>#<n>]``; the same value always gets the same ``n`` within one
  Redactor, so the LLM can still see that two commands used the same key. Placeholders never match a rule
  again, so redaction is idempotent.
- Only the secret value is replaced in context rules (``PASSWORD=[REDACTED:password-assignment#1]``,
  ``postgres://bob:[REDACTED:url-password#1]@db``), so the text stays readable.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial

from pipeline.errors import ConfigError
from pipeline.redact_rules import (
    _NOT_A_SECRET,
    BUILTIN_RULES,
    PLACEHOLDER_PREFIX,
    Rule,
    _bare_ok,
    _is_word,
    is_value_reference,
    secret_key_rule,
)
from schemas.config import RedactionConfig

__all__ = ["BUILTIN_RULES", "PLACEHOLDER_PREFIX", "Redactor", "Rule", "safe_cut"]

MAX_PASSES = 5


def safe_cut(text: str, limit: int) -> int:
    """Where to cut ``text`` to keep about ``limit`` chars without splitting a placeholder: ``limit``, or the
    end of a placeholder that straddles it. Cut only redacted text: then no cut can split a secret."""
    if limit >= len(text):
        return len(text)
    start = text.rfind(PLACEHOLDER_PREFIX, 0, limit + len(PLACEHOLDER_PREFIX) - 1)
    if start >= 0 and start < limit and (close := text.find("]", start)) >= limit:
        return close + 1
    return limit


def _extra_rule(name: str, regex: str) -> Rule:
    try:
        pattern = re.compile(regex)
    except re.error as exc:
        raise ConfigError(
            f"redaction.extra_patterns[{name!r}] is not a valid regex ({exc}); fix or remove it in the config"
        ) from exc
    group = "secret" if "secret" in pattern.groupindex else None
    return Rule(name, pattern, group=group)


class Redactor:
    """Replaces secrets with stable placeholders and counts what it replaced, per rule, over its life."""

    def __init__(self, extra_patterns: dict[str, str] | None = None, allowlist: Sequence[str] = ()) -> None:
        extras = tuple(_extra_rule(n, r) for n, r in sorted((extra_patterns or {}).items()))
        self.rules: tuple[Rule, ...] = BUILTIN_RULES + extras
        self.allowlist: frozenset[str] = frozenset(a for a in allowlist if a)
        self.counts: dict[str, int] = {}
        self._ids: dict[tuple[str, str], int] = {}
        self._distinct: dict[str, int] = {}

    @classmethod
    def from_config(cls, config: RedactionConfig) -> Redactor:
        """From the ``[redaction]`` section of the config: extra patterns and the allowlist."""
        return cls(config.extra_patterns, config.allowlist)

    def fork(self) -> Redactor:
        """A Redactor with the same rules and allowlist but fresh numbering and counts.

        Use one per session so a session's placeholders do not depend on which other sessions were
        redacted before it (byte-identical chunks are what make the LLM cache hit); ``absorb`` its
        counts afterwards.
        """
        child = Redactor.__new__(Redactor)
        child.rules, child.allowlist = self.rules, self.allowlist
        child.counts, child._ids, child._distinct = {}, {}, {}
        return child

    def absorb(self, other: Redactor) -> None:
        """Add ``other``'s per-rule counts to this Redactor's."""
        for rule, n in other.counts.items():
            self.counts[rule] = self.counts.get(rule, 0) + n

    def placeholder(self, rule: str, value: str) -> str:
        key = (rule, value)
        n = self._ids.get(key)
        if n is None:
            n = self._distinct.get(rule, 0) + 1
            self._distinct[rule] = n
            self._ids[key] = n
        self.counts[rule] = self.counts.get(rule, 0) + 1
        return f"{PLACEHOLDER_PREFIX}{rule}#{n}]"

    def redact(self, text: str) -> str:
        """``text`` with every secret replaced by its placeholder.

        A replacement can change the context of an earlier rule (a placeholder ends a word), so passes
        repeat until nothing changes: that makes redaction idempotent by construction.
        """
        for _ in range(MAX_PASSES):
            new = self._pass(text) if text else text
            if new == text:
                break
            text = new
        return text

    def _pass(self, text: str) -> str:
        lower: str | None = None
        for rule in self.rules:
            if rule.needles:
                if rule.lower_needles:
                    if lower is None:
                        lower = text.lower()
                    hay = lower
                else:
                    hay = text
                if not any(n in hay for n in rule.needles):
                    continue
            new = rule.pattern.sub(partial(self._replace, rule), text)
            if new != text:
                text = new
                lower = None
        return text

    def _replace(self, rule: Rule, m: re.Match[str]) -> str:
        whole = m.group(0)
        if rule.group is None or m.group(rule.group) is None:
            start, end = m.start(), m.end()
        else:
            start, end = m.span(rule.group)
        value = m.string[start:end]
        if rule.boundary and m.start() and _is_word(m.string[m.start() - 1]):
            return whole
        if not value or value in self.allowlist or whole in self.allowlist or PLACEHOLDER_PREFIX in value:
            return whole
        if rule.check_value and (
            _NOT_A_SECRET.match(value) or (rule.name == "assignment-bare" and not _bare_ok(m))
        ):
            return whole
        name = rule.name_of(m) if rule.name_of else rule.name
        a, b = start - m.start(), end - m.start()
        return whole[:a] + self.placeholder(name, value) + whole[b:]

    def redact_dict(self, value: dict[str, object]) -> dict[str, object]:
        """Redact every string inside a dict of tool arguments (nested dicts and lists too).

        Key-aware: a string under a key that names a secret (``api_key``, ``password``, ``authToken``…) is
        replaced whole, whatever its shape, since the value alone (without its key) matches no rule.
        """
        return {k: self._redact_item(k, v) for k, v in value.items()}

    def redact_obj(self, value: object) -> object:
        """Redact every string inside nested dicts/lists (tool arguments), key-aware inside dicts."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {k: self._redact_item(k, v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.redact_obj(v) for v in value]
        return value

    def _redact_item(self, key: object, value: object) -> object:
        rule = secret_key_rule(key)
        return self.redact_obj(value) if rule is None else self._redact_all(rule, value)

    def _redact_all(self, rule: str, value: object) -> object:
        """Every string under a secret-naming key replaced whole (lists and dicts below it too)."""
        if isinstance(value, str):
            if is_value_reference(value) or value in self.allowlist:
                return self.redact(value)
            return self.placeholder(rule, value)
        if isinstance(value, dict):
            return {k: self._redact_all(secret_key_rule(k) or rule, v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._redact_all(rule, v) for v in value]
        return value
