"""Secret redaction: every rule on realistic fakes, false positives, stable placeholders, idempotence."""

from __future__ import annotations

import pytest
from daily_report.core.errors import ConfigError
from daily_report.schemas.config import RedactionConfig
from daily_report.text.redact import Redactor
from hypothesis import given, settings
from hypothesis import strategies as st

# Realistic-looking fakes (right prefixes, lengths and alphabets; none is a real credential).
ANTHROPIC = "sk-ant-api03-" + "Zx9_Kq2-" * 11 + "AbCdEfGh"
OPENAI_PROJ = "sk-proj-" + "T3xq9LmNpQ2rS5vW8yZa1Bc4De7Fg0Hj" * 2
OPENAI_LEGACY = "sk-" + "a1B2c3D4e5F6g7H8i9J0" + "T3BlbkFJ" + "k1L2m3N4o5P6q7R8s9T0"
AWS_ID = "AKIA2E0A8F3B244C9986"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY9Q3s7LmZ1x"
GITHUB = "ghp_" + "R4nd0mT0k3nV4lu3Xy" * 2
GITHUB_PAT = "github_pat_11ABCDEFG0" + "x" * 60
SLACK = "xoxb-1234567890123-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
HF = "hf_" + "QwErTyUiOpAsDfGhJkLzXcVbNmQwErTyUi"
WANDB = "0f9e8d7c6b5a49382716a5b4c3d2e1f0a9b8c7d6"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\nAAAAMwAAAAtzc2gtZWQy\n-----END OPENSSH PRIVATE KEY-----"


def red(text: str) -> tuple[str, dict[str, int]]:
    r = Redactor()
    return r.redact(text), r.counts


@pytest.mark.parametrize(
    ("text", "secret", "rule"),
    [
        (f"export ANTHROPIC_API_KEY={ANTHROPIC}", ANTHROPIC, "anthropic-key"),
        (f'client = OpenAI(api_key="{OPENAI_PROJ}")', OPENAI_PROJ, "openai-key"),
        (f"key: {OPENAI_LEGACY}", OPENAI_LEGACY, "openai-key"),
        (f"aws_access_key_id = {AWS_ID}", AWS_ID, "aws-access-key"),
        (f"aws_secret_access_key = {AWS_SECRET}", AWS_SECRET, "aws-secret-key"),
        (
            f'{{"AccessKeyId": "ASIA2E0A8F3B244C9986", "SecretAccessKey": "{AWS_SECRET}"}}',
            AWS_SECRET,
            "aws-secret-key",
        ),
        (f"git clone https://{GITHUB}@github.com/o/r", GITHUB, "github-token"),
        (f"GH_TOKEN={GITHUB_PAT}", GITHUB_PAT, "github-token"),
        (f"SLACK_BOT={SLACK}", SLACK, "slack-token"),
        (f"huggingface-cli login --token {HF}", HF, "huggingface-token"),
        (f"WANDB_API_KEY={WANDB} python train.py", WANDB, "wandb-key"),
        (f"$ wandb login {WANDB}", WANDB, "wandb-key"),
        (f'wandb.login(key="{WANDB}")', WANDB, "wandb-key"),
        (f"cookie: session={JWT}", JWT, "jwt"),
        (
            f"Here is my key:\n{PRIVATE_KEY}\nthanks",
            "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ",
            "private-key",
        ),
        (
            'curl -H "Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0ZZ" api',
            "9f8e7d6c5b4a39281706f5e4d3c2b1a0ZZ",
            "bearer-token",
        ),
        ("DATABASE_URL=postgres://admin:Pg_s3cret!x@db.internal:5432/app", "Pg_s3cret!x", "url-password"),
        ("DB_PASSWORD=correcthorsebattery", "correcthorsebattery", "password-assignment"),
        ("export MYSQL_PASSWORD='Tr0ub4dor&3'", "Tr0ub4dor&3", "password-assignment"),
        ('password: "s3cr3t-P4ss"', "s3cr3t-P4ss", "password-assignment"),
        ('{"password": "hunter2hunter2"}', "hunter2hunter2", "password-assignment"),
        ("STRIPE_SECRET=whsec_9aZ8bY7cX6dW5e", "whsec_9aZ8bY7cX6dW5e", "secret-assignment"),
        ('client_secret = "a8Fk2LmQ9zX1"', "a8Fk2LmQ9zX1", "secret-assignment"),
        ("SENTRY_AUTH_TOKEN=sntrys_eyQ9aW1lc3RhbXA", "sntrys_eyQ9aW1lc3RhbXA", "token-assignment"),
        ('"accessToken": "ya29.a0AfH6SMBx7q"', "ya29.a0AfH6SMBx7q", "token-assignment"),
        ("MAPBOX_KEY=pk.eyJ1IjoibWFwYm94Ii", "pk.eyJ1IjoibWFwYm94Ii", "key-assignment"),
        ("stripe_api_key: sk_live_51Hx2eZ9", "sk_live_51Hx2eZ9", "key-assignment"),
        ("mysql -u root --password s3cretPass9 db", "s3cretPass9", "password-assignment"),
    ],
)
def test_each_rule(text: str, secret: str, rule: str) -> None:
    out, counts = red(text)
    assert secret not in out, out
    assert f"[REDACTED:{rule}#1]" in out, out
    assert counts.get(rule) == 1, counts


def test_only_the_value_is_replaced_in_context_rules() -> None:
    out, _ = red(
        "postgres://bob:s3cr3tpw@db/x and DB_PASSWORD=hunter2hunter2 and Bearer abcdefghijklmnopqrstuvwx12"
    )
    assert out == (
        "postgres://bob:[REDACTED:url-password#1]@db/x and DB_PASSWORD=[REDACTED:password-assignment#1] "
        "and Bearer [REDACTED:bearer-token#1]"
    )


def test_private_key_inside_json_string() -> None:
    sa = '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----\\n", "client_email": "x@y.iam.gserviceaccount.com"}'
    out, counts = red(sa)
    assert "MIIEvQ" not in out and counts == {"private-key": 1}
    assert out.endswith('"client_email": "x@y.iam.gserviceaccount.com"}')


def test_truncated_private_key_block_is_still_redacted() -> None:
    out, _ = red(
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA1x2y3z\nMIIEowIBAAKCAQEA4w5v6u\n[… 40 lines cut …]"
    )
    assert "MIIEow" not in out and "[REDACTED:private-key#1]" in out


@pytest.mark.parametrize(
    "text",
    [
        "msg_01XFDUDYJgAACzvnptvVoYEL toolu_01A09q90qw90lq917835lq9 req_011CSHoEeqs5C35K2UUqR7Fy",
        "session 123e4567-e89b-12d3-a456-426614174000 at commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
        "git log --oneline: e57556d Text for the LLM; HEAD is 0123456789abcdef0123456789abcdef01234567",
        "def count(tokens): max_tokens = 4096; token_count = len(tokens); tokenizer = get_encoding('o200k')",
        "token = self.token\napi_key = os.environ['ANTHROPIC_API_KEY']\npassword = getpass.getpass()",
        'ENV_API_KEY = "ANTHROPIC_API_KEY"  # name of the variable',
        'cache_key = hashlib.sha256(payload).hexdigest()\nsecret = load_secret("prod")',
        'API_KEY="${OPENAI_API_KEY}"  TOKEN=$GITHUB_TOKEN  password: "<your-password>"',
        'pad_token="<|endoftext|>"  "password": "The user\'s password"  PASSWORD=changeme',
        "Use the task-abcdefghijklmnopqrstuvwxyz0123456789 id and disk-usage-report",
        "https://github.com/openai/codex/blob/main/README.md and http://localhost:8080/@scope/pkg",
        "the bearer token is passed in the Authorization header",
        "hf_hub_download(repo_id='x') and wandb.init(project='demo', id='0f9e8d7c6b5a49382716')",
        "The AWS access key id looks like AKIA followed by 16 characters.",
        "[REDACTED:openai-key#1] and PASSWORD=[REDACTED:password-assignment#3]",
        "env.CODEMIE_API_KEY = config.apiKey;\nconst OPENAI_API_KEY=process.env.OPENAI_API_KEY",
        "xsk-ant-api03-" + "q" * 40 + " and myhf_" + "a" * 34,
    ],
)
def test_no_false_positives_on_ordinary_text(text: str) -> None:
    out, counts = red(text)
    assert out == text, (out, counts)
    assert counts == {}


def test_placeholders_are_stable_per_value() -> None:
    r = Redactor()
    a = r.redact(f"first {GITHUB} then {HF}")
    b = r.redact(f"again {GITHUB}, other ghp_{'Z' * 36}, and {GITHUB}")
    assert a == "first [REDACTED:github-token#1] then [REDACTED:huggingface-token#1]"
    assert (
        b == "again [REDACTED:github-token#1], other [REDACTED:github-token#2], and [REDACTED:github-token#1]"
    )
    assert r.counts == {"github-token": 4, "huggingface-token": 1}


def test_allowlist_is_never_redacted() -> None:
    demo = "sk-ant-api03-" + "D" * 90
    r = Redactor(allowlist=[demo, "publicpassword1"])
    out = r.redact(f"{demo} {ANTHROPIC} DB_PASSWORD=publicpassword1")
    assert out == f"{demo} [REDACTED:anthropic-key#1] DB_PASSWORD=publicpassword1"


def test_extra_patterns_from_config() -> None:
    cfg = RedactionConfig(
        extra_patterns={"internal-id": r"\bACME-\d{6}\b", "ticket-secret": r"tkt=(?P<secret>\w{8,})"}
    )
    r = Redactor.from_config(cfg)
    out = r.redact("see ACME-123456 and ACME-123456 and ACME-654321; url?tkt=abcdefgh1234&x=1")
    assert out == (
        "see [REDACTED:internal-id#1] and [REDACTED:internal-id#1] and [REDACTED:internal-id#2]; "
        "url?tkt=[REDACTED:ticket-secret#1]&x=1"
    )
    assert r.counts == {"internal-id": 3, "ticket-secret": 1}


def test_bad_extra_pattern_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="bad"):
        Redactor(extra_patterns={"bad": "(unclosed"})


def test_redact_obj_walks_nested_arguments() -> None:
    r = Redactor()
    out = r.redact_obj({"env": {"K": HF}, "argv": ["--token", GITHUB], "n": 3})
    assert out == {
        "env": {"K": "[REDACTED:huggingface-token#1]"},
        "argv": ["--token", "[REDACTED:github-token#1]"],
        "n": 3,
    }


_PIECES = [
    ANTHROPIC,
    OPENAI_PROJ,
    AWS_ID,
    GITHUB,
    SLACK,
    HF,
    JWT,
    PRIVATE_KEY,
    WANDB,
    "DB_PASSWORD=",
    "password: ",
    '"token": "',
    "Bearer ",
    "postgres://u:",
    "@host",
    "WANDB_API_KEY=",
    "aws_secret_access_key=",
    AWS_SECRET,
    "export ",
    "=",
    '"',
    "'",
    " ",
    "\n",
    "x",
    "-",
    "hunter2hunter2",
    "[REDACTED:",
    "#1]",
    "sk-",
    "ghp_",
    "eyJ",
    "----",
    "wandb login ",
    "--password ",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=12)), max_size=25))
def test_redaction_is_idempotent(parts: list[str]) -> None:
    text = "".join(parts)
    r = Redactor()
    once = r.redact(text)
    assert r.redact(once) == once
    assert Redactor().redact(once) == once
