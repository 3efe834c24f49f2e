"""The built-in redaction rules (see ``pipeline.redact`` for the design) and the key-aware check for dicts.

Every rule is led by a literal keyword and carries a cheap substring prefilter (``needles``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

PLACEHOLDER_PREFIX = "[REDACTED:"

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


# a password glued to (or after) a -p flag: quoted (spaces allowed) or bare; never a $VAR reference
_CLI_VALUE = r"""(?P<q>["'])?(?P<v>(?(q)[^"'\n$]|[^\s"'$<>{}|;&()]){1,200})(?(q)(?P=q))"""


def _authorization_rule(m: re.Match[str]) -> str:
    return "basic-auth" if (m.group("scheme") or "").lower() == "basic" else "authorization-header"


def _authorization(word: str) -> Rule:
    """``Authorization: Basic|Token|Digest <value>`` (Bearer is its own rule). ``word`` starts with a literal
    (``uthorization`` checked back for its ``A``) so that the scan is fast."""
    return Rule(
        "authorization-header",
        _c(
            word + r"[\"']?[ \t]{0,3}[:=][ \t]{0,3}[\"']?(?:(?P<scheme>(?i:basic|token|digest))[ \t]+)?"
            r"(?P<v>[A-Za-z0-9._~+/-]{8,}=*)"
        ),
        needles=("authorization",),
        lower_needles=True,
        group="v",
        check_value=True,
        name_of=_authorization_rule,
    )


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
        "stripe-key",
        _c(r"[rs]k_(?:live|test)_[A-Za-z0-9]{16,250}(?![A-Za-z0-9])"),
        needles=("_live_", "_test_"),
        boundary=True,
    ),
    Rule("google-api-key", _c(r"AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"), needles=("AIza",), boundary=True),
    Rule(
        "gitlab-token",
        _c(r"glpat-[A-Za-z0-9_-]{20,100}(?![A-Za-z0-9_-])"),
        needles=("glpat-",),
        boundary=True,
    ),
    Rule("npm-token", _c(r"npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])"), needles=("npm_",), boundary=True),
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
        _c(r"://[^/\s:@\[\]]{0,100}:(?P<v>[^/\s:@\[\]]{1,200})@"),
        needles=("://",),
        group="v",
    ),
    _authorization("uthorization(?<=[Aa]uthorization)"),
    _authorization("UTHORIZATION(?<=AUTHORIZATION)"),
    Rule(
        "api-key-header",
        _c(
            r"-(?:(?:[Kk]ey|KEY)(?<=(?i:api-key))|(?:[Tt]oken|TOKEN)(?:(?<=(?i:auth-token))|(?<=(?i:access-token))"
            r"|(?<=(?i:private-token))))[\"']?[ \t]{0,3}:[ \t]{0,3}[\"']?(?P<v>[A-Za-z0-9._~+/=-]{8,300})"
        ),
        needles=("api-key", "-token"),
        lower_needles=True,
        group="v",
        check_value=True,
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
    Rule(
        "cli-password",
        _c(
            r"(?:mysql(?:dump|admin|import|check|sh)?|mariadb(?:-dump)?)\b[^\n|;&]{0,200}?[ \t]-p"
            + _CLI_VALUE
        ),
        needles=("mysql", "mariadb"),
        group="v",
        boundary=True,
    ),
    Rule(
        "cli-password",
        _c(r"sshpass[ \t]+(?:-[de][^\s]*[ \t]+)*-p[ \t]*" + _CLI_VALUE),
        needles=("sshpass",),
        group="v",
        boundary=True,
    ),
)


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
