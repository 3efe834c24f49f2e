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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from pipeline.errors import ConfigError
from schemas.config import RedactionConfig

PLACEHOLDER_PREFIX = "[REDACTED:"
MAX_PASSES = 5

# Values that look like references or examples, not secrets: never redacted by the assignment rules.
_NOT_A_SECRET = re.compile(
    r"""^(?:
        \[REDACTED:.*
      | [A-Z][A-Z0-9_]*                      # an env var NAME: API_KEY = "OPENAI_API_KEY"
      | \$.* | .*(?:\$\{|\{\{|[<>`\s]).*        # references and templates: $VAR, ${VAR}, <your-key>, prose
      | (?i:your[-_].*|.*[-_]here|x{4,}|\*{3,}|\.{3,}|none|null|nil|true|false|undefined|changeme|example|
             placeholder|redacted|string|password|secret|token|dummy|test|sample)
      | \d+(?:\.\d+)?                         # plain numbers: max_token = 40960000
    )$""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Rule:
    """One redaction rule. ``group`` names the part to replace (the whole match when None)."""

    name: str
    pattern: re.Pattern[str]
    needles: tuple[str, ...] = ()
    lower_needles: bool = False
    group: str | None = None
    check_value: bool = False
    name_of: Callable[[re.Match[str]], str] | None = None
    boundary: bool = False  # the match must not follow a word character


def _c(pattern: str, flags: int = 0) -> re.Pattern[str]:
    return re.compile(pattern, flags)


_ASSIGN_KEYWORDS = (
    r"(?P<kw>PASSWORD|Password|password|PASSWD|passwd|_PASS|_PWD|"
    r"TOKEN|Token|token|SECRET|Secret|secret|"
    r"_KEY|APIKEY|ApiKey|apiKey|apikey|api_key|api-key|access_key|private_key|secret_key|auth_key|"
    r"signing_key|encryption_key|master_key|AccessKey)"
)
# quoted: any case, value must be quoted; unquoted: value directly after =/:, secret-looking
_ASSIGN_QUOTED = (
    _ASSIGN_KEYWORDS
    + r"""(?![A-Za-z0-9])["']?\s{0,3}(?::|=|:=|=>)\s{0,3}(?P<q>["'])(?P<v>[^"'\n]{6,300})(?P=q)"""
)
_ASSIGN_BARE = (
    _ASSIGN_KEYWORDS
    + r"""(?![A-Za-z0-9])["']?[ \t]{0,3}(?::|=)[ \t]{0,3}(?P<v>[A-Za-z0-9_\-+/=.~!@#%^&*]{6,300})(?![\w(\[."'])"""
)
_CLI_FLAG = r"--(?P<kw>password|passwd|token|api-key|apikey|secret|access-token|auth-token)[= ](?P<v>[^\s\"'$<>{}]{6,300})"


def _assignment_rule(m: re.Match[str]) -> str:
    kw = m.group("kw").lower()
    if "pass" in kw or "pwd" in kw:
        return "password-assignment"
    if "token" in kw:
        return "token-assignment"
    if "secret" in kw:
        return "secret-assignment"
    return "key-assignment"


_DOTTED_NAME = re.compile(r"[A-Za-z_]+(?:\.[A-Za-z_]+)+")


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _bare_ok(m: re.Match[str]) -> bool:
    """Unquoted values. Env/shell style (``NAME_TOKEN=value``: upper-case name, no space before the value)
    takes any value but a dotted name; code style (``token = self.token``) needs letters and digits."""
    value = m.group("v")
    kw = m.group("kw")
    operator = m.string[m.end("kw") : m.start("v")]
    if kw.upper() == kw and " " not in operator and "\t" not in operator and "=" in operator:
        return _DOTTED_NAME.fullmatch(value) is None
    return any(ch.isdigit() for ch in value) and any(ch.isalpha() for ch in value)


BUILTIN_RULES: tuple[Rule, ...] = (
    Rule(
        "private-key",
        _c(
            r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]{1,20000}?-----END[ A-Z0-9_-]{0,100}"
            r"PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=\s\\]*)"
        ),
        needles=("PRIVATE KEY",),
    ),
    Rule("anthropic-key", _c(r"sk-ant-[A-Za-z0-9_-]{20,300}"), needles=("sk-ant-",), boundary=True),
    Rule(
        "openai-key",
        _c(r"sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{32,300}"),
        needles=("sk-",),
        boundary=True,
    ),
    Rule(
        "aws-access-key",
        _c(r"A(?:KIA|SIA|BIA|CCA)[A-Z0-9]{16}\b"),
        boundary=True,
        needles=("AKIA", "ASIA", "ABIA", "ACCA"),
    ),
    Rule(
        "aws-secret-key",
        _c(
            r"(?:aws_?secret_?access_?key|AWS_?SECRET_?ACCESS_?KEY|SecretAccessKey|secretAccessKey)[\"']?\s*[:=]\s*"
            r"[\"']?(?P<v>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"
        ),
        needles=("secret_access_key", "secretaccesskey", "secretaccess"),
        lower_needles=True,
        group="v",
    ),
    Rule(
        "github-token",
        _c(r"gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255}"),
        boundary=True,
        needles=("gh", "github_pat_"),
    ),
    Rule(
        "slack-token",
        _c(
            r"xox[abposre]-[A-Za-z0-9-]{10,250}|xapp-\d-[A-Za-z0-9-]{10,250}|hooks\.slack\.com/services/[A-Za-z0-9/]{20,}"
        ),
        needles=("xox", "xapp-", "hooks.slack.com"),
    ),
    Rule("huggingface-token", _c(r"hf_[A-Za-z0-9]{30,100}\b"), needles=("hf_",), boundary=True),
    Rule(
        "wandb-key",
        _c(
            r"(?:(?:WANDB_API_KEY|wandb_api_key)[\"']?\s*[:=]\s*[\"']?|wandb login\s+(?:--?[a-z-]+\s+)*"
            r"|wandb\.login\([^)\n]{0,60}?key\s*=\s*[\"']|api\.wandb\.ai\s+login\s+\S+\s+password\s+)"
            r"(?P<v>[0-9a-f]{40})(?![0-9a-fA-F])"
        ),
        needles=("wandb",),
        lower_needles=True,
        group="v",
    ),
    Rule(
        "jwt",
        _c(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
        needles=("eyJ",),
        boundary=True,
    ),
    Rule(
        "bearer-token",
        _c(r"(?:Bearer|bearer|BEARER)\s+(?P<v>[A-Za-z0-9._~+/-]{20,}=*)"),
        needles=("bearer",),
        lower_needles=True,
        group="v",
        boundary=True,
    ),
    Rule(
        "url-password",
        _c(r"://[^/\s:@\[\]]{1,100}:(?P<v>[^/\s:@\[\]]{1,200})@"),
        needles=("://",),
        group="v",
    ),
    Rule(
        "assignment",
        _c(_ASSIGN_QUOTED),
        needles=("pass", "pwd", "token", "secret", "key"),
        lower_needles=True,
        group="v",
        check_value=True,
        name_of=_assignment_rule,
    ),
    Rule(
        "assignment-bare",
        _c(_ASSIGN_BARE),
        needles=("pass", "pwd", "token", "secret", "key"),
        lower_needles=True,
        group="v",
        check_value=True,
        name_of=_assignment_rule,
    ),
    Rule(
        "cli-flag",
        _c(_CLI_FLAG),
        needles=("--pass", "--token", "--api", "--secret", "--access-token", "--auth-token"),
        group="v",
        check_value=True,
        name_of=_assignment_rule,
    ),
)


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
        """Redact every string inside a dict of tool arguments (nested dicts and lists too)."""
        return {k: self.redact_obj(v) for k, v in value.items()}

    def redact_obj(self, value: object) -> object:
        """Redact every string inside nested dicts/lists (tool arguments)."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {k: self.redact_obj(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.redact_obj(v) for v in value]
        return value
