"""Issue 10, "done when": a planted day holding every credential kind of the issue leaks none of them into
the export file, the provider requests (stub server), the cache or the reports; and a secret the model
writes back (live, or in imported batch results) is stored nowhere and is counted."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.stub_llm_routes import example_for, schema_of
from tests.stub_llm_server import StubLLMServer
from tests.test_run_day import (
    DAY,
    _assistant,
    _line,
    invoke,
    keys,  # noqa: F401  (fixture)
    make_day,
    report_json,
    run_args,
)
from tests.test_run_day import _fast_retries as _fast_retries
from tests.test_run_exchange import answer_file

SECRETS = {  # realistic fakes, none a real credential
    "azure-key": "Zm9vYmFyYmF6cXV4" * 5 + "Zm9vYmE==",
    "azure-sas": "Xy7%2Bk9LmN0pQ2rS4tU6vW8xY0zA1bC3dE5fG7hI9jK%3D",
    "sendgrid": "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",
    "telegram": "123456789:AAH7dK9mN2pQ4rS6tU8vW0xY2zA4bC6dE8f",
    "gcp-oauth": "ya29.a0AfB_byC7dE9fG1hI3jK5lM7nO9pQ1rS3tU5vW7xY9z",
    "discord": "aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5zA7bC9dE1fG3hI5jK7lM9nO1pQ3r",
    "curl-pass": "Cu7lP4ss-w0rd",
    "curl-user-pass": "An0ther Curl Pw",
    "databricks": "dapi1234567890abcdef1234567890abcdef",
    "pypi": "pypi-AgEIcHlwaS5vcmcCJGE4ZjE2YTRkLTk1NzQtNGNmNi1hYjU5LTc0ZGFkZjg2OTJkMwACKlszLCJ",
    "digitalocean": "dop_v1_" + "a1b2c3d4" * 8,
    "mailgun": "key-0123456789abcdef0123456789abcdef",
    "stripe": "sk_live_51HbCdEfGhIjKlMnOpQrStUvWx",
    "npm": "npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
    "gitlab": "glpat-AbCdEfGhIjKlMnOpQrSt12",
    "shopify": "shpat_" + "0123456789abcdef" * 2,
    "square": "sq0atp-aB3dE5fG7hI9jK1lM3nO5p",
    "heroku": "HRKU-" + "aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5zA7bC9dE1fG3hI5jK7lM9nO1",
    "atlassian": "ATATT3xFfGF0" + "aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5z" * 5,
    "github": "ghp_" + "R4nd0mT0k3nV4lu3Xy" * 2,
    "aws": "AKIA2E0A8F3B244C9986",
    "url-at": "p@ss#W0rd@x",
    "url-slash": "ab/cd:ef+gh==",
    "url-other": "Secret-Two-99",
    "generic": "Xq7Lm2Np9Rs4Tv6Wx8Yz1Ab3Cd5Ef",
}
ECHO = "sk-proj-" + "EchoEchoEchoEcho1234567890abcdefGHIJ" * 2  # a key only the model writes


def planted_lines(session: str, cwd: str, start: datetime) -> list[dict[str, Any]]:
    s = SECRETS
    prompt = (
        f"Deploy with AccountKey={s['azure-key']} and the SAS https://acct.blob.core.windows.net/c?sv=2022"
        f"&sig={s['azure-sas']}. Mail via {s['sendgrid']} or {s['mailgun']}; bot {s['telegram']}; "
        f"gcloud gave {s['gcp-oauth']}; hook https://discord.com/api/webhooks/123456789012345678/"
        f"{s['discord']}; tokens {s['databricks']} {s['pypi']} {s['digitalocean']} {s['stripe']} "
        f"{s['npm']} {s['gitlab']} {s['shopify']} {s['square']} {s['heroku']} {s['atlassian']}."
    )
    command = (
        f"curl -u deploy:{s['curl-pass']} https://api.example.com && curl --user 'ops:{s['curl-user-pass']}' "
        f"https://x && git push https://bot:{s['url-at']}@git.example.com/o/r.git"
    )
    result = (
        f"DATABASE_URL=postgres://app:{s['url-slash']}@db.internal:5432/app\n"
        f"REPLICA_URL=postgres://app:{s['url-other']}@db2.internal/app\n"
        f'openai_key = "{s["generic"]}"\nGITHUB_TOKEN={s["github"]}\naws_access_key_id = {s["aws"]}'
    )
    tool = {"type": "tool_use", "id": "toolu_p1", "name": "Bash", "input": {"command": command}}
    reply = f"Pushed. The failing deploy used {s['github']} and {s['sendgrid']}."
    messages = [
        ("user", {"role": "user", "content": prompt}),
        ("assistant", _assistant(session, 1, [tool])),
        (
            "user",
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "toolu_p1", "content": result}],
            },
        ),
        ("assistant", _assistant(session, 3, [{"type": "text", "text": reply}])),
        (
            "user",
            {"role": "user", "content": "Now summarize what was deployed and which credentials were used."},
        ),
        (
            "assistant",
            _assistant(session, 5, [{"type": "text", "text": "Deployed alpha; credentials rotated."}]),
        ),
    ]
    return [
        _line(kind, session, n, start + timedelta(minutes=n), cwd, msg)
        for n, (kind, msg) in enumerate(messages)
    ]


def plant_day(tmp_path: Path, base_url: str, cache: str) -> Path:
    config = make_day(tmp_path, provider="anthropic", base_url=base_url)
    session = "eeeeeeee-0000-4000-8000-000000000005"
    folder = tmp_path / "laptop" / ".claude" / "projects" / "-home-me-alpha"
    lines = planted_lines(session, "/home/me/alpha", datetime(2026, 3, 17, 15, 0, tzinfo=UTC))
    (folder / f"{session}.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    text = config.read_text(encoding="utf-8").replace(
        'cache_path = "cache.sqlite3"', f'cache_path = "{cache}"'
    )
    config.write_text(text, encoding="utf-8")
    return config


def echoing_answer(body: dict[str, Any]) -> dict[str, Any]:
    """A model that writes secrets back: every free-text field repeats a planted one and a new one."""

    def echo(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("example "):
            return f"{value}: used {SECRETS['github']} and {ECHO}"
        if isinstance(value, dict):
            return {k: echo(v) for k, v in value.items()}
        if isinstance(value, list):
            return [echo(v) for v in value]
        return value

    schema = schema_of(body)
    return echo(example_for(schema)) if schema else {"text": ECHO}


def leaks(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        data = path.read_bytes()
        for name, secret in [*SECRETS.items(), ("echo", ECHO)]:
            if secret.encode() in data or json.dumps(secret)[1:-1].encode() in data:
                found.append(f"{name} in {path.name}")
    return found


def written(tmp_path: Path) -> list[Path]:
    """Everything the runs wrote: reports, caches (with their WAL), the export; not the transcripts, nor the
    results file, which is the model's own raw output ("elsewhere")."""
    return [
        p
        for p in tmp_path.rglob("*")
        if p.is_file() and not p.is_relative_to(tmp_path / "laptop") and p.name != "results.jsonl"
    ]


@pytest.mark.usefixtures("keys")
def test_a_planted_day_leaks_nothing_anywhere(tmp_path: Path) -> None:
    with StubLLMServer(answer=echoing_answer) as stub:
        config = plant_day(tmp_path, stub.url, "cache.sqlite3")
        result = invoke(*run_args(config))
        assert result.exit_code == 0, result.output
        sent = [json.dumps(r.body) for r in stub.message_requests()]
        assert sent and any(
            "[REDACTED:azure-storage-key#" in body for body in sent
        )  # the planted session went
        assert not [
            name for body in sent for name, s in SECRETS.items() if s in body or json.dumps(s)[1:-1] in body
        ]

        exported = tmp_path / "export" / "requests.jsonl"
        fresh = plant_day(tmp_path, stub.url, "fresh-cache.sqlite3")
        result = invoke(*run_args(fresh, "--export-requests", str(exported)))
        assert result.exit_code == 0, result.output
        assert exported.stat().st_size > 0
        # the exported requests answered "elsewhere" by the same echoing model, then imported
        assert answer_file(stub, exported, tmp_path / "export" / "results.jsonl", provider="anthropic") > 0
        result = invoke(*run_args(fresh, "--import-results", str(tmp_path / "export" / "results.jsonl")))
        assert result.exit_code == 0, result.output

    files = written(tmp_path)
    assert any(p.name == "report.html" for p in files) and any(p.suffix == ".sqlite3" for p in files)
    assert leaks(files) == []
    report = report_json(tmp_path)
    assert report["redaction"].get("model-answer:openai-key", 0) > 0  # the model's own key, counted
    assert report["redaction"].get("model-answer:github-token", 0) > 0  # and the one it repeated
    assert {"azure-storage-key", "url-password", "curl-user", "sendgrid-key"} <= set(report["redaction"])
    assert "[REDACTED:openai-key#1]" in (tmp_path / "reports" / DAY / "report.md").read_text(encoding="utf-8")
