"""The built-in redaction rules (see ``daily_report.text.redact`` for the design) and the key-aware check for dicts.

Every rule carries lower-case ``needles``: substrings that every match contains, found by one gate scan.
Vendor token formats live in ``daily_report.text.redact_vendors``; here are the specific rules that predate them and
the context rules (assignments, headers, URLs, command lines, the entropy fallback).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from daily_report.text.redact_values import ENTROPY_MIN, PLACEHOLDER_PREFIX, entropy, high_entropy, randomish

__all__ = ["CONTEXT_RULES", "PLACEHOLDER_PREFIX", "SPECIFIC_RULES", "Rule", "randomish"]

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
    needles: tuple[str, ...] = ()  # lower-case; none: the rule runs on every text
    group: str | None = None
    check_value: bool = False  # the value must not look like a reference or an example (_NOT_A_SECRET)
    name_of: Callable[[re.Match[str]], str] | None = None
    boundary: bool = False  # the match must not follow a word character
    anchored: bool = False  # every match starts at one of its needles: tried there only (one attempt)
    back: int = 20  # else: how far before a needle a match may start
    ahead: int = 600  # and how far after it the search looks (a match reaching it is searched again)
    check: Callable[[re.Match[str]], bool] | None = None  # False: leave this match alone


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
_ASSIGN_NEEDLES = (  # where each keyword above starts, lower-cased: the rules are tried there only
    "password",
    "passwd",
    "_pass",
    "_pwd",
    "token",
    "secret",
    "_key",
    "apikey",
    "api_key",
    "api-key",
    "access_key",
    "private_key",
    "secret_key",
    "auth_key",
    "signing_key",
    "encryption_key",
    "master_key",
    "accesskey",
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
        back=0,
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


def _url_password_ok(m: re.Match[str]) -> bool:
    """``host:8080/path/@scope`` is a port and a path, not ``user:password@``; ``user:password@`` and
    ``user:$PASS@`` are examples and references (a numeric password is still one)."""
    value = m.group("v")
    return _PORT_PATH.match(value) is None and (value.isdigit() or _NOT_A_SECRET.match(value) is None)


def _quoted_ok(m: re.Match[str]) -> bool:
    """A quoted password, token or secret may be any text (a passphrase is one); a quoted key looks random:
    ``apiKey: 'my-key'``, ``'proxy-handled'`` and ``'ollama'`` are names and stand-ins, not keys."""
    kw, value = m.group("kw").lower(), m.group("v")
    if "key" not in kw:
        return True
    return randomish(m) or (len(value) >= 16 and entropy(value) >= ENTROPY_MIN)


def _not_a_reference(m: re.Match[str]) -> bool:
    """A quoted value may hold spaces, but ``$PASS``, ``${PASS}`` and ``<password>`` are not secrets."""
    return not m.group("v").startswith(("$", "<", "{{"))


_PORT_PATH = re.compile(r"\d{1,5}(?:/|$)")

SPECIFIC_RULES: tuple[Rule, ...] = (
    Rule(
        "private-key",
        _c(
            r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]{1,20000}?-----END[ A-Z0-9_-]{0,100}"
            r"PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=\s\\]*)"
        ),
        needles=("private key",),
        back=120,
        ahead=25_000,
    ),
    Rule(
        "anthropic-key",
        _c(r"sk-ant-[A-Za-z0-9_-]{20,300}"),
        needles=("sk-ant-",),
        boundary=True,
        anchored=True,
    ),
    Rule(
        "openai-key",
        _c(r"sk-(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{32,300}"),
        needles=("sk-",),
        boundary=True,
        anchored=True,
    ),
    Rule(
        "aws-access-key",
        _c(r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b"),
        boundary=True,
        needles=("akia", "asia", "abia", "acca", "a3t"),
        anchored=True,
    ),
    Rule(
        "aws-secret-key",
        _c(
            r"(?:aws_?secret_?access_?key|AWS_?SECRET_?ACCESS_?KEY|SecretAccessKey|secretAccessKey)[\"']?\s*[:=]\s*"
            r"[\"']?(?P<v>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"
        ),
        needles=("secret_access", "secretaccess"),
        group="v",
    ),
    Rule(
        "github-token",
        _c(r"gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255}"),
        boundary=True,
        needles=("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        anchored=True,
    ),
    Rule(
        "slack-token",
        _c(
            r"xox[abposre]-[A-Za-z0-9-]{10,250}|xapp-\d-[A-Za-z0-9-]{10,250}|hooks\.slack\.com/services/[A-Za-z0-9/]{20,}"
        ),
        needles=("xox", "xapp-", "hooks.slack.com"),
        anchored=True,
    ),
    Rule(
        "huggingface-token",
        _c(r"(?:hf_|api_org_)[A-Za-z0-9]{30,100}\b"),
        needles=("hf_", "api_org_"),
        boundary=True,
        anchored=True,
    ),
    Rule(
        "stripe-key",
        _c(r"[rs]k_(?:live|test|prod)_[A-Za-z0-9]{16,250}(?![A-Za-z0-9])"),
        needles=("sk_live_", "rk_live_", "sk_test_", "rk_test_", "sk_prod_", "rk_prod_"),
        boundary=True,
        anchored=True,
    ),
    Rule(
        "google-api-key",
        _c(r"AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"),
        needles=("aiza",),
        boundary=True,
        anchored=True,
    ),
    Rule(
        "npm-token",
        _c(r"npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])"),
        needles=("npm_",),
        boundary=True,
        anchored=True,
    ),
    Rule(
        "wandb-key",
        _c(
            r"(?:(?:WANDB_API_KEY|wandb_api_key)[\"']?\s*[:=]\s*[\"']?|wandb login\s+(?:--?[a-z-]+\s+)*"
            r"|wandb\.login\([^)\n]{0,60}?key\s*=\s*[\"']|api\.wandb\.ai\s+login\s+\S+\s+password\s+)"
            r"(?P<v>[0-9a-f]{40})(?![0-9a-fA-F])"
        ),
        needles=("wandb",),
        back=4,
        group="v",
    ),
)

CONTEXT_RULES: tuple[Rule, ...] = (
    Rule(
        "jwt",
        _c(r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
        needles=("eyj",),
        boundary=True,
        anchored=True,
    ),
    Rule(
        "bearer-token",
        _c(r"(?:Bearer|bearer|BEARER)\s+(?P<v>[A-Za-z0-9._~+/-]{20,}=*)"),
        needles=("bearer",),
        group="v",
        boundary=True,
        anchored=True,
    ),
    Rule(
        "url-password",  # the password runs up to the last @ before the host; it may hold / : and @
        _c(
            r"://[^/\s:\"'<>`\[\]]{0,100}?:(?P<v>[^\s@\"'<>`]{1,200}(?:@[^\s@\"'<>`]{1,200})*)"
            r"@[A-Za-z0-9.\-\[\]_%]+(?=[:/?#\s\"'<>`),;\]]|$)"
        ),
        needles=("://",),
        group="v",
        anchored=True,
        check=_url_password_ok,
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
        back=0,
        group="v",
        check_value=True,
    ),
    Rule(
        "assignment",
        _c(_ASSIGN_QUOTED),
        needles=_ASSIGN_NEEDLES,
        group="v",
        check_value=True,
        name_of=_assignment_rule,
        anchored=True,
        check=_quoted_ok,
    ),
    Rule(
        "assignment-bare",
        _c(_ASSIGN_BARE),
        needles=_ASSIGN_NEEDLES,
        group="v",
        check_value=True,
        name_of=_assignment_rule,
        anchored=True,
        check=_bare_ok,
    ),
    Rule(
        "cli-flag",
        _c(_CLI_FLAG),
        needles=("--pass", "--token", "--api", "--secret", "--access-token", "--auth-token"),
        anchored=True,
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
        anchored=True,
    ),
    Rule(
        "cli-password",
        _c(r"sshpass[ \t]+(?:-[de][^\s]*[ \t]+)*-p[ \t]*" + _CLI_VALUE),
        needles=("sshpass",),
        group="v",
        boundary=True,
        anchored=True,
    ),
    Rule(
        "curl-user",
        _c(
            r"curl\b[^\n|;&]{0,300}?[ \t](?:-u|--user)(?:[ \t]+|=)?(?P<q>[\"'])?[^\s:\"'@]{0,100}:"
            r"(?P<v>(?(q)[^\"'\n]|[^\s\"'])+)(?(q)(?P=q))"
        ),
        needles=("curl",),
        group="v",
        boundary=True,
        check=_not_a_reference,
        anchored=True,
    ),
    Rule(
        "generic-secret",  # the entropy fallback: a random-looking value under a secret-like name
        _c(
            r"(?P<kw>(?i:key|token|secret|password|passwd|passphrase|pass|pwd|auth|credentials?|signature|sig|"
            r"salt))s?[\"']?[ \t]{0,3}(?::|=|:=|=>)[ \t]{0,3}[\"']?"
            r"(?P<v>[A-Za-z0-9+/=_.~-]{20,300})(?![A-Za-z0-9+/=_.~-])"
        ),
        needles=("key", "token", "secret", "pass", "pwd", "auth", "cred", "sig", "salt"),
        group="v",
        check_value=True,
        anchored=True,
        check=high_entropy,
    ),
)
