"""Redaction of the vendor formats (gitleaks' default kinds seen in transcripts), URL passwords, curl -u,
the entropy fallback, and the gate: windowed redaction gives the same text as a full scan."""

from __future__ import annotations

import pytest
from daily_report.text.redact import Redactor
from hypothesis import given, settings
from hypothesis import strategies as st

# Realistic fakes: right prefixes, lengths and alphabets; none is a real credential.
AZURE_KEY = "Zm9vYmFyYmF6cXV4" * 5 + "Zm9vYmE=="
SAS_SIG = "Xy7%2Bk9LmN0pQ2rS4tU6vW8xY0zA1bC3dE5fG7hI9jK%3D"
SENDGRID = "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"
TELEGRAM = "123456789:AAH7dK9mN2pQ4rS6tU8vW0xY2zA4bC6dE8f"
YA29 = "ya29.a0AfB_byC7dE9fG1hI3jK5lM7nO9pQ1rS3tU5vW7xY9z"
DISCORD_TOKEN = "aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5zA7bC9dE1fG3hI5jK7lM9nO1pQ3r"
DATABRICKS = "dapi1234567890abcdef1234567890abcdef"
PYPI = "pypi-AgEIcHlwaS5vcmcCJGE4ZjE2YTRkLTk1NzQtNGNmNi1hYjU5LTc0ZGFkZjg2OTJkMwACKlszLCJ"
DIGITALOCEAN = "dop_v1_" + "a1b2c3d4" * 8
MAILGUN = "key-0123456789abcdef0123456789abcdef"
TWILIO = "SK" + "0123456789abcdef" * 2
SHOPIFY = "shpat_" + "0123456789abcdef" * 2
SQUARE = "sq0atp-" + "aB3dE5fG7hI9jK1lM3nO5p"
HEROKU = "HRKU-" + "aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5zA7bC9dE1fG3hI5jK7lM9nO1"
ATLASSIAN = "ATATT3xFfGF0" + "aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5z" * 5
GITLAB_RUNNER = "glrt-" + "aB3dE5fG7hI9jK1lM3nO"
STRIPE_WEBHOOK = "whsec_" + "aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1"
VAULT = "hvs.CAESIJ" + "aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5zA7b"
NEWRELIC = "NRAK-" + "A1B2C3D4E5F6G7H8I9J0K1L2M3N"
SENTRY = "sntrys_eyJpYXQiOjE3MDAwMDAwMDAuMCwidXJsIjoiaHR0cHM6Ly9zZW50cnkuaW8ifQ"
GROQ = "gsk_" + "aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5zA7bC9dE1fG3hI5j"


@pytest.mark.parametrize(
    ("text", "secret", "rule"),
    [
        (
            f"DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={AZURE_KEY};EndpointSuffix=core.windows.net",
            AZURE_KEY,
            "azure-storage-key",
        ),
        (
            f"Endpoint=sb://x.servicebus.windows.net/;SharedAccessKey={AZURE_KEY}",
            AZURE_KEY,
            "azure-storage-key",
        ),
        (
            f"https://acme.blob.core.windows.net/c/f.txt?sv=2022-11-02&sp=r&se=2026-01-01&sig={SAS_SIG}",
            SAS_SIG,
            "azure-sas-signature",
        ),
        (f"the key is {SENDGRID} ok", SENDGRID, "sendgrid-key"),
        (f"curl https://api.telegram.org/bot{TELEGRAM}/getMe", TELEGRAM, "telegram-bot-token"),
        (f"bot token {TELEGRAM}", TELEGRAM, "telegram-bot-token"),
        (f"-H 'x: {YA29}'", YA29, "gcp-oauth-token"),
        (
            f"https://discord.com/api/webhooks/123456789012345678/{DISCORD_TOKEN}",
            DISCORD_TOKEN,
            "discord-webhook",
        ),
        (f"host=x token {DATABRICKS}", DATABRICKS, "databricks-token"),
        (f"twine upload -p {PYPI} dist/*", PYPI, "pypi-token"),
        (f"doctl auth init -t {DIGITALOCEAN}", DIGITALOCEAN, "digitalocean-token"),
        (f"curl -s --user api:{MAILGUN} https://api.mailgun.net", MAILGUN, "mailgun-key"),
        (f"mailgun api {MAILGUN}", MAILGUN, "mailgun-key"),
        (f"sid {TWILIO}", TWILIO, "twilio-key"),
        (f"X-Shopify-Access-Token {SHOPIFY}", SHOPIFY, "shopify-token"),
        (f"square {SQUARE}", SQUARE, "square-token"),
        (f"heroku auth {HEROKU}", HEROKU, "heroku-key"),
        (
            "HEROKU_API_KEY: 01234567-89ab-cdef-0123-456789abcdef",
            "01234567-89ab-cdef-0123-456789abcdef",
            "heroku-key",
        ),
        (f"jira {ATLASSIAN}", ATLASSIAN, "atlassian-token"),
        (f"gitlab-runner register --token {GITLAB_RUNNER}", GITLAB_RUNNER, "gitlab-token"),
        (f"webhook secret {STRIPE_WEBHOOK}", STRIPE_WEBHOOK, "stripe-webhook-secret"),
        (f"vault login {VAULT}", VAULT, "vault-token"),
        (f"newrelic {NEWRELIC}", NEWRELIC, "newrelic-key"),
        (f"sentry-cli with {SENTRY}", SENTRY, "sentry-token"),
        (f"groq {GROQ}", GROQ, "groq-key"),
        ("curl -u admin:S3cr3tPa55 https://api.example.com", "S3cr3tPa55", "curl-user"),
        ("curl --user 'admin:S3cr3t Pa55' https://x", "S3cr3t Pa55", "curl-user"),
        ("curl -X GET --user=alice:hunter2 https://x", "hunter2", "curl-user"),
    ],
)
def test_vendor_kinds_on_their_own(text: str, secret: str, rule: str) -> None:
    r = Redactor()
    out = r.redact(text)
    assert secret not in out, out
    assert r.counts.get(rule, 0) >= 1, (out, r.counts)
    assert r.redact(out) == out


@pytest.mark.parametrize(
    ("url", "password"),
    [
        ("postgres://bob:p@ss@db.internal:5432/app", "p@ss"),
        ("postgres://bob:p@ss/w:rd@db.internal:5432/app", "p@ss/w:rd"),
        ("https://bob:ab/cd+ef==@git.example.com/o/r.git", "ab/cd+ef=="),
        ("redis://:pa:ss:word@redis:6379/0", "pa:ss:word"),
        ("ftp://me@mail.com:Pw-123@ftp.example.com/", "Pw-123"),
        ("mysql://root:123456@localhost/db", "123456"),
    ],
)
def test_url_password_runs_to_the_last_at_before_the_host(url: str, password: str) -> None:
    r = Redactor()
    out = r.redact(f"DATABASE_URL={url} next")
    assert password not in out, out
    assert "[REDACTED:url-password#1]@" in out
    assert out.endswith(" next")


def test_distinct_secrets_get_distinct_placeholders() -> None:
    r = Redactor()
    out = r.redact("https://u:p@ss1@h/x https://u:p@ss2@h/y https://u:p@ss1@h/z")
    assert out == (
        "https://u:[REDACTED:url-password#1]@h/x https://u:[REDACTED:url-password#2]@h/y "
        "https://u:[REDACTED:url-password#1]@h/z"
    )


@pytest.mark.parametrize(
    "text",
    [
        "http://localhost:8080/@scope/pkg and https://example.com:443/a/@b/c",
        "https://www.npmjs.com/package/@types/node",
        "http://userid:password@example.com:8080 and ftp://u:${FTP_PASS}@host",
        'curl -u "$USER:$PASS" https://x',
        "curl -X POST --url https://x/u:p",
        "ssh://git@github.com:22/org/repo.git",
    ],
)
def test_urls_and_curl_without_a_secret(text: str) -> None:
    r = Redactor()
    assert r.redact(text) == text, r.counts


# --- the entropy fallback ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        'openai_key = "Xq7Lm2Np9Rs4Tv6Wx8Yz1Ab3Cd5Ef"',
        '"auth": "dXNlcjpwYXNzd29yZDEyMzQ1Njc4OTA="',
        "signing.salt: 9fK2mQ7xZ1pL8vR3tY6wB4nC",
        "client_credentials=Ab12Cd34Ef56Gh78Ij90Kl12",
    ],
)
def test_entropy_fallback_catches_random_values_under_secret_names(text: str) -> None:
    r = Redactor()
    out = r.redact(text)
    assert r.counts == {"generic-secret": 1}, (out, r.counts)
    assert "[REDACTED:generic-secret#1]" in out


@pytest.mark.parametrize(
    "text",
    [
        "cache_key = 9fceb02d0ae598e95dc970b74767f19372d61af8",
        'publicKey: "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE4x"',
        'sort_key = "created_at_desc_then_name_asc"',
        "max_tokens: 40960000000000000000000",
        'auth_mode = "oauth-device-code-flow-with-pkce"',
        'key: "src/pipeline/redact_rules.py"',
        "monkey = banana",
    ],
)
def test_entropy_fallback_leaves_non_secrets(text: str) -> None:
    r = Redactor()
    assert r.redact(text) == text, r.counts


def test_entropy_fallback_honours_the_allowlist() -> None:
    value = "Xq7Lm2Np9Rs4Tv6Wx8Yz1Ab3Cd5Ef"
    assert Redactor(allowlist=[value]).redact(f'openai_key = "{value}"') == f'openai_key = "{value}"'


# --- the gate: windows around needles give what a scan of the whole text gives --------------------

_PIECES = [
    AZURE_KEY,
    SENDGRID,
    TELEGRAM,
    YA29,
    DATABRICKS,
    PYPI,
    DIGITALOCEAN,
    MAILGUN,
    TWILIO,
    HEROKU,
    VAULT,
    "AccountKey=",
    "&sig=",
    "curl -u ",
    "--user ",
    "a:b@",
    "://",
    "u:",
    "@",
    "/",
    ":",
    "p@ss",
    "api_key=",
    'openai_key = "',
    "Xq7Lm2Np9Rs4Tv6Wx8Yz1Ab3Cd5Ef",
    "password: ",
    "TOKEN=",
    "Bearer ",
    " ",
    "\n",
    "'",
    '"',
    "x",
    "key-",
    "sk-",
    "İ",
    "discord.com/api/webhooks/1234567/",
]


def _full_scan(text: str) -> str:
    r = Redactor()
    r._gate.positions = lambda _text: None  # type: ignore[method-assign]  # every rule over the whole text
    return r.redact(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=8)), max_size=20))
def test_windowed_redaction_equals_a_full_scan(parts: list[str]) -> None:
    text = "".join(parts)
    assert Redactor().redact(text) == _full_scan(text)


def test_every_needle_is_lower_case_and_every_rule_has_one() -> None:
    for rule in Redactor().rules:
        assert rule.needles, rule.name
        assert all(n == n.lower() for n in rule.needles), rule.name


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("apiKey: 'my-key'", False),  # stand-ins seen in the shared samples
        ("env.OPENAI_API_KEY = 'proxy-handled'", False),
        ("apiKey: 'ollama'", False),
        ("apiKey: 'Zq8mK2xL9pR4'", True),
        ('client_secret: "correct-horse-battery-staple"', True),  # a passphrase is a secret
        ('token: "hunterhunter"', True),
    ],
)
def test_quoted_keys_must_look_random_other_secrets_need_not(text: str, redacted: bool) -> None:
    r = Redactor()
    assert (r.redact(text) != text) is redacted, r.counts
