"""Secret redaction: applied to every piece of transcript text before it leaves the machine or is stored.

Design, for speed with stdlib ``re`` (google-re2 is not a dependency):

- Every rule names ``needles``: lower-case substrings each of its matches contains (``sk-ant-``, ``akia``,
  ``bearer``, ``token``…). One gate regex (a trie of all needles) scans the lower-cased text once; text
  with no needle, which is most transcript text, is returned at once.
- A rule runs only where its needles were found, in a window around each (``back`` before, ``ahead``
  after), so a rule costs in proportion to its needles, not to the text. A match that reaches the end of
  its window is searched again without it, so no window cuts a secret.
- Specific rules run before generic ones, so a key inside ``API_KEY="sk-ant-…"`` is named by its vendor;
  the entropy fallback (``generic-secret``) runs last.
- A placeholder is ``[REDACTED:<rule>#<n>]``; each distinct value gets its own ``n`` and the same value
  always the same ``n`` within one Redactor, so the LLM can still see that two commands used the same key.
  Placeholders never match a rule again, so redaction is idempotent.
- Only the secret value is replaced in context rules (``PASSWORD=[REDACTED:password-assignment#1]``,
  ``postgres://bob:[REDACTED:url-password#1]@db``), so the text stays readable.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial

from daily_report.core.errors import ConfigError
from daily_report.schemas.config import RedactionConfig
from daily_report.text.redact_rules import _NOT_A_SECRET, CONTEXT_RULES, SPECIFIC_RULES, Rule, _is_word
from daily_report.text.redact_values import PLACEHOLDER_PREFIX, is_value_reference, secret_key_rule
from daily_report.text.redact_vendors import VENDOR_RULES

BUILTIN_RULES: tuple[Rule, ...] = SPECIFIC_RULES + VENDOR_RULES + CONTEXT_RULES

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


_Trie = dict[str, "_Trie"]


def _trie(words: Sequence[str]) -> str:
    """A regex matching the longest of ``words`` at a position, factored by prefix (much faster in ``re``
    than a flat alternation of many literals)."""
    root: _Trie = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: _Trie) -> str:
        alts = [re.escape(ch) + emit(sub) for ch, sub in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(root)


class _Gate:
    """Where the needles of a rule set occur: one scan of the lower-cased text."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        needles = sorted({n.lower() for r in rules for n in r.needles})
        self.pattern = re.compile(_trie(needles)) if needles else None
        # a found needle hides the shorter needles that are its prefixes (same position): run theirs too
        self.rules_of: dict[str, tuple[int, ...]] = {
            found: tuple(
                i for i, r in enumerate(rules) if any(found.startswith(n.lower()) for n in r.needles)
            )
            for found in needles
        }
        self.always = tuple(i for i, r in enumerate(rules) if not r.needles)

    def positions(self, text: str) -> dict[int, list[int]] | None:
        """Rule index -> sorted positions of its needles; None when positions in the lower-cased text would
        not be those in ``text`` (a character whose lower case is longer): then every rule runs whole."""
        lower = text.lower()
        if len(lower) != len(text) or self.pattern is None:
            return None
        found: dict[int, list[int]] = {}
        search, pos = self.pattern.search, 0
        while (m := search(lower, pos)) is not None:
            start = m.start()
            for i in self.rules_of[m.group()]:
                found.setdefault(i, []).append(start)
            pos = start + 1  # every start: needles may overlap
        return found


class Redactor:
    """Replaces secrets with stable placeholders and counts what it replaced, per rule, over its life."""

    def __init__(self, extra_patterns: dict[str, str] | None = None, allowlist: Sequence[str] = ()) -> None:
        extras = tuple(_extra_rule(n, r) for n, r in sorted((extra_patterns or {}).items()))
        self.rules: tuple[Rule, ...] = BUILTIN_RULES + extras
        self._gate = _Gate(self.rules)
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
        child.rules, child.allowlist, child._gate = self.rules, self.allowlist, self._gate
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
        found = self._gate.positions(text)
        if found is not None and not found and not self._gate.always:
            return text
        for i, rule in enumerate(self.rules):
            if found is None or not rule.needles:
                new = rule.pattern.sub(partial(self._replace, rule), text)
            elif i in found:
                positions = found[i]
                if not rule.anchored and len(positions) * (rule.back + rule.ahead) > len(text):
                    new = rule.pattern.sub(partial(self._replace, rule), text)  # one scan is cheaper
                else:
                    new = self._windowed(rule, text, positions)
            else:
                new = text
            if new != text:  # positions moved: find them again for the rules after this one
                text = new
                found = self._gate.positions(text)
        return text

    def _windowed(self, rule: Rule, text: str, positions: list[int]) -> str:
        """``rule`` applied around its needles only; the same result as over the whole text."""
        out: list[str] = []
        done, n, search = 0, len(text), rule.pattern.search
        for p in positions:
            if p < done:
                continue
            if rule.anchored:
                m = rule.pattern.match(text, p)
            else:
                start, end = max(done, p - rule.back), min(n, p + rule.ahead)
                m = search(text, start, end)
                if m is not None and m.end() >= end and end < n:
                    m = search(text, start)  # the window may have cut it: look again without the end
            if m is None:
                continue
            out += (text[done : m.start()], self._replace(rule, m))
            done = m.end()
        if not out:
            return text
        out.append(text[done:])
        return "".join(out)

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
        if rule.check_value and _NOT_A_SECRET.match(value):
            return whole
        if rule.check is not None and not rule.check(m):
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
