"""`daily-report run` over the real sample transcripts (fixtures/samples) (Claude Code and Codex days) against the stub."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.stub_llm_server import StubLLMServer
from tests.test_run_day import _fast_retries as _fast_retries
from tests.test_run_day import invoke, keys  # noqa: F401  (fixture)

SECTIONS = (
    "overview",
    "devices",
    "summary",
    "tasks",
    "issues",
    "human_vs_ai",
    "ai_limitations",
    "takeaways",
    "projects",
    "token_usage",
    "generation",
    "redaction",
    "failures",
)


@pytest.mark.usefixtures("keys")
@pytest.mark.parametrize(("day", "agent"), [("2026-02-12", "claude_code"), ("2026-05-11", "codex")])
def test_a_real_day_gives_every_section_in_all_formats(
    samples: Path, tmp_path: Path, day: str, agent: str
) -> None:
    config = tmp_path / "daily-report.toml"
    config.write_text(
        f"""timezone = "UTC"
cache_path = "cache.sqlite3"
[devices.samples]
claude = ["{samples / "claude-code"}"]
codex = ["{samples / "codex"}"]
[llm]
provider = "openai"
model = "gpt-5-mini"
base_url = "URL"
""",
        encoding="utf-8",
    )
    with StubLLMServer() as stub:
        config.write_text(config.read_text().replace("URL", stub.openai_url))
        result = invoke("run", "--date", day, "--config", str(config), "--out", str(tmp_path / "out"))
        assert result.exit_code == 0, result.output
        sent = len(stub.message_requests())
    folder = tmp_path / "out" / day
    data = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert all(key in data for key in SECTIONS)
    assert data["sessions"] and {s["agent"] for s in data["sessions"]} == {agent}
    assert data["failures"] == [] and data["generation"]["calls"] == sent
    assert data["tasks"] and data["overview"]["what_was_done"] and data["projects"]
    assert (folder / "report.md").stat().st_size > 1000 and (folder / "report.html").stat().st_size > 1000
