"""Security review: secrets in tool arguments never reach condensed text partially; new redaction rules."""

from __future__ import annotations

import pytest
from daily_report.schemas.transcript import Session, ToolCall, Turn
from daily_report.text.condense import condense_session, format_call
from daily_report.text.redact import Redactor

API_KEY = "abcd1234efgh5678ijkl9999zzzz0000yyyy1111"
PASSWORD = "Tr0ub4dor&3-correct-horse-battery-staple-XYZ"


def leaked(secret: str, text: str, *, n: int = 6) -> list[str]:
    """Every ``n``-char piece of ``secret`` that occurs in ``text``."""
    return [secret[i : i + n] for i in range(len(secret) - n + 1) if secret[i : i + n] in text]


def mcp(args: dict[str, object]) -> ToolCall:
    return ToolCall(id="c1", name="mcp__db__connect", arguments=args)


def test_reviewer_reproduction_api_key_cut_by_the_json_cap() -> None:
    # the key sits across the 200-char cap of the compact JSON: before the fix 27 chars of it leaked
    args: dict[str, object] = {"query": "q" * 170, "api_key": API_KEY}
    line = format_call(mcp(args), redactor=Redactor())
    assert leaked(API_KEY, line) == []
    assert "[REDACTED:key-assignment#1]" in line


@pytest.mark.parametrize("pad", [150, 175, 185, 195])
def test_password_with_the_cap_inside_the_value(pad: int) -> None:
    line = format_call(mcp({"note": "n" * pad, "password": PASSWORD}), redactor=Redactor())
    assert leaked(PASSWORD, line) == []


def test_nested_dicts_and_lists_are_key_aware() -> None:
    args = {
        "connection": {"host": "db", "dbPassword": "short pw 1"},
        "headers": [{"X-Auth-Token": "tok with spaces"}, {"name": "plain"}],
        "credentials": ["alice", "hunter2hunter2"],
        "max_tokens": 4000,
        "token": "$GITHUB_TOKEN",
    }
    red = Redactor().redact_dict(args)
    assert red["connection"] == {"host": "db", "dbPassword": "[REDACTED:password-assignment#1]"}
    headers = red["headers"]
    assert isinstance(headers, list)
    assert headers[0] == {"X-Auth-Token": "[REDACTED:token-assignment#1]"}
    assert headers[1] == {"name": "plain"}
    assert red["credentials"] == ["[REDACTED:secret-assignment#1]", "[REDACTED:secret-assignment#2]"]
    assert red["max_tokens"] == 4000  # not a string: left alone
    assert red["token"] == "$GITHUB_TOKEN"  # a reference, not a value
    line = format_call(mcp(args), redactor=Redactor())
    for secret in ("short pw 1", "tok with spaces", "hunter2hunter2"):
        assert secret not in line


def test_keys_that_only_look_secret_are_kept() -> None:
    args: dict[str, object] = {
        "author": "bob",
        "max_tokens": "4000",
        "tokenizer": "o200k",
        "passage": "text",
        "oauth_flow": "pkce",
    }
    assert Redactor().redact_dict(args) == args


def test_same_value_same_placeholder_across_keys() -> None:
    r = Redactor()
    out = r.redact_dict({"password": "pw-one-1", "db": {"password": "pw-one-1"}, "pwd": "pw-two-2"})
    assert out == {
        "password": "[REDACTED:password-assignment#1]",
        "db": {"password": "[REDACTED:password-assignment#1]"},
        "pwd": "[REDACTED:password-assignment#2]",
    }


def test_long_shell_command_with_a_secret_past_the_cap() -> None:
    cmd = "echo " + "x" * 290 + f" && mysql -u root -p{PASSWORD} app"
    line = format_call(ToolCall(id="c", name="Bash", arguments={"command": cmd}), redactor=Redactor())
    assert leaked(PASSWORD, line) == []


def test_list_command_joined_then_redacted() -> None:
    call = ToolCall(id="c", name="exec_command", arguments={"cmd": ["sshpass", "-p", PASSWORD, "ssh", "h"]})
    line = format_call(call, redactor=Redactor())
    assert leaked(PASSWORD, line) == []
    assert "sshpass -p" in line


def test_condensed_session_never_holds_the_secret() -> None:
    turns = [
        Turn(index=0, role="human", text="connect to the db"),
        Turn(index=1, role="tool", tool=mcp({"query": "q" * 170, "api_key": API_KEY})),
    ]
    session = Session(id="s1", agent="claude_code", device="d", project="p", turns=turns)
    text = "\n".join(t.text for t in condense_session(session, redactor=Redactor()))
    assert leaked(API_KEY, text) == []


def test_cap_never_splits_a_placeholder() -> None:
    args: dict[str, object] = {
        "query": "q" * 170,
        "password": PASSWORD,
        "more": "m" * 100,
    }  # the cap falls inside it
    line = format_call(mcp(args), redactor=Redactor())
    assert "[REDACTED:password-assignment#1]" in line


# --- rules added after the review ------------------------------------------------------------------

STRIPE = "sk_live_51HbCdEfGhIjKlMnOpQrStUvWx"
STRIPE_RK = "rk_live_51HbCdEfGhIjKlMnOpQrStUvWx"
GOOGLE = "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"
GITLAB = "glpat-AbCdEfGhIjKlMnOpQrSt12"
NPM = "npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"


@pytest.mark.parametrize(
    ("text", "secret", "rule"),
    [
        ("redis://:S3cretPassw0rd@redis:6379/0", "S3cretPassw0rd", "url-password"),
        ("curl -H 'Authorization: Basic dXNlcjpwYXNzd29yZDEyMw==' https://x", "dXNlcjpwYXNz", "basic-auth"),
        ('"authorization": "Token 9f8e7d6c5b4a39281706"', "9f8e7d6c5b4a3928", "authorization-header"),
        ('curl -H "x-api-key: a1b2c3d4e5f6g7h8i9" https://api', "a1b2c3d4e5f6g7h8i9", "api-key-header"),
        ('curl -H "X-Api-Key: a1b2c3d4e5f6g7h8i9" https://api', "a1b2c3d4e5f6g7h8i9", "api-key-header"),
        ("X-API-KEY: a1b2c3d4e5f6g7h8i9", "a1b2c3d4e5f6g7h8i9", "api-key-header"),
        ("PRIVATE-TOKEN: zz9f8e7d6c5b4a3928", "zz9f8e7d6c5b4a3928", "api-key-header"),
        ("AUTHORIZATION: Basic dXNlcjpwYXNzd29yZDEyMw==", "dXNlcjpwYXNz", "basic-auth"),
        ("echo x | sshpass -p Pa55word ssh h", "Pa55word", "cli-password"),
        ("api-key: 9f8e7d6c5b4a39281706", "9f8e7d6c5b4a39281706", "api-key-header"),
        (f"STRIPE_KEY is {STRIPE}", STRIPE, "stripe-key"),
        (f"restricted: {STRIPE_RK}", STRIPE_RK, "stripe-key"),
        (f"https://maps.googleapis.com/api?key={GOOGLE}&q=x", GOOGLE, "google-api-key"),
        (f"git clone https://oauth2:{GITLAB}@gitlab.com/x.git", GITLAB, "gitlab-token"),
        (f"export GL={GITLAB}", GITLAB, "gitlab-token"),
        (f"//registry.npmjs.org/:_authToken {NPM}", NPM, "npm-token"),
        ("mysql -u root -pHunter2Secret mydb", "Hunter2Secret", "cli-password"),
        ("mysqldump -h db -u u -p'Hunter 2 x' --all", "Hunter 2 x", "cli-password"),
        ("mysql --password=Hunter2Secret mydb", "Hunter2Secret", "password-assignment"),
        ("sshpass -p 'Pa55word' ssh user@host", "Pa55word", "cli-password"),
        ("sshpass -p Pa55word ssh user@host", "Pa55word", "cli-password"),
    ],
)
def test_new_rules(text: str, secret: str, rule: str) -> None:
    r = Redactor()
    out = r.redact(text)
    assert secret not in out
    assert r.counts.get(rule, 0) >= 1, (out, r.counts)
    assert r.redact(out) == out  # idempotent


@pytest.mark.parametrize(
    "text",
    [
        "mysql -u root -p mydb",
        'mysql -u root -p"$MYSQL_PWD" mydb',
        "mkdir -p /x/y && cp -p a b",
        "python -m pytest -p no:cacheprovider -q",
        "gcc -pipe -O2 main.c",
        "sshpass -e ssh user@host",
        "pip install mysqlclient -pre",
        "libmysql -pFoo is not a mysql command",
        "Authorization: Bearer $TOKEN",
        "the Authorization header was missing",
        'curl -H "x-api-key: $API_KEY" https://api',
        "AIza is a prefix; AIzaShort",
        "npm_config_cache=/tmp/npm",
        "sk_live_ is the prefix of live keys",
        "https://example.com:8080/path",
    ],
)
def test_new_rules_false_positives(text: str) -> None:
    r = Redactor()
    assert r.redact(text) == text
    assert r.counts == {}
