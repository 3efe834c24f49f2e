"""Eval-side guard: no planted secret reaches any request body the engine builds.

The fixture day and every eval case run through the engine with the replay provider (so day stages are
planned too); every planned request is then rendered through both real providers' request builders
(``params`` for a direct call, ``batch_request`` for a batch line) and the bodies are searched for the raw
planted values. The replay eval scores answers, not requests, so a redaction regression would pass it.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from daily_report.core.config import load_config
from daily_report.engine import run as engine
from daily_report.engine.plan import Planned, RunOptions
from daily_report.llm.providers.anthropic import AnthropicProvider
from daily_report.llm.providers.openai import OpenAIProvider

from tests.conftest import REPO

FIXTURES = REPO / "fixtures"
CASES = FIXTURES / "cases"


def _fixture_module(folder: Path, name: str) -> Any:
    before = sys.dont_write_bytecode
    sys.dont_write_bytecode = True  # no __pycache__ among the fixtures
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(folder))
        sys.dont_write_bytecode = before


DAY_SECRETS: tuple[str, ...] = _fixture_module(FIXTURES, "day_hpc").SECRETS
CASE_SECRETS: tuple[str, ...] = _fixture_module(CASES, "build_secrets").SECRETS

PROVIDERS = (
    AnthropicProvider(api_key="test-key", structured="tools"),
    AnthropicProvider(api_key="test-key", structured="native"),
    OpenAIProvider(api_key="test-key"),
)


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> list[Planned]:
    """Every request the engine plans while the test runs (chunk and day stages)."""
    seen: list[Planned] = []

    def recording(plan: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> list[Planned]:
            out: list[Planned] = plan(*args, **kwargs)
            seen.extend(out)
            return out

        return wrapper

    monkeypatch.setattr(engine, "plan_chunk_stage", recording(engine.plan_chunk_stage))
    monkeypatch.setattr(engine, "plan_day_stage", recording(engine.plan_day_stage))
    return seen


def bodies(planned: list[Planned]) -> Iterator[tuple[str, bytes]]:
    """(label, serialized body) of every request through every provider's direct and batch builders."""
    for p in planned:
        for provider in PROVIDERS:
            name = f"{provider.name}:{p.call.label}"
            yield name, orjson.dumps(provider.params(p.request, []), default=str)
            yield f"{name} (batch)", orjson.dumps(provider.batch_request(p.request, "id-1"), default=str)


def leaks(planned: list[Planned], secrets: tuple[str, ...]) -> list[str]:
    found = []
    for name, body in bodies(planned):
        found += [f"{secret[:8]}… in {name}" for secret in secrets if secret.encode() in body]
    return found


def planted_in(root: Path, secrets: tuple[str, ...]) -> set[str]:
    """The secrets present in the raw transcripts under ``root`` (so the guard has something to catch)."""
    data = b"".join(p.read_bytes() for p in sorted(root.rglob("*.jsonl")))
    return {s for s in secrets if s.encode() in data or orjson.dumps(s)[1:-1] in data}


def test_fixture_day_requests_hold_no_planted_secret(tmp_path: Path, recorded: list[Planned]) -> None:
    assert planted_in(FIXTURES / "day", DAY_SECRETS) == set(DAY_SECRETS)
    config = load_config(FIXTURES / "day" / "daily-report.toml")
    opts = RunOptions(
        date="2026-03-17",
        config=config,
        out_dir=tmp_path / "out",
        provider="replay",
        cache_path=tmp_path / "cache.sqlite3",
    )
    result = engine.run_day(opts)
    assert not result.failures
    stages = {p.request.stage for p in recorded}
    assert {"facts", "tasks", "projects", "overview"} <= stages  # day stages were planned too
    assert leaks(recorded, DAY_SECRETS) == []


def _cases() -> list[str]:
    return sorted(p.name for p in CASES.iterdir() if (p / "case.toml").is_file())


@pytest.mark.parametrize("name", _cases())
def test_eval_case_requests_hold_no_planted_secret(
    name: str, tmp_path: Path, recorded: list[Planned]
) -> None:
    from daily_report.core.paths import PROMPTS_DIR
    from daily_report.eval.cases import load_case
    from daily_report.eval.runner import EvalSettings, run_case
    from daily_report.llm.cache import Cache

    case = load_case(CASES / name)
    if name == "secrets-injection":
        assert planted_in(case.path, CASE_SECRETS) == set(CASE_SECRETS)
    settings = EvalSettings(provider="replay", cache_path=tmp_path / "cache.sqlite3")
    cache = Cache(tmp_path / "cache.sqlite3")
    try:
        done = run_case(case, settings, prompts_dir=PROMPTS_DIR, cache=cache)
    finally:
        cache.close()
    assert not done.result.failures
    assert recorded
    assert leaks(recorded, CASE_SECRETS + DAY_SECRETS) == []


def test_the_guard_catches_a_secret_in_a_request(tmp_path: Path, recorded: list[Planned]) -> None:
    """With redaction switched off, the same rendering finds the planted values: the guard can fail."""
    from daily_report.text.redact import Redactor

    class NoRedaction(Redactor):
        def redact(self, text: str) -> str:
            return text

        def redact_dict(self, value: dict[str, object]) -> dict[str, object]:
            return value

        def fork(self) -> Redactor:
            return self

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("daily_report.text.redact.Redactor", NoRedaction)
        config = load_config(FIXTURES / "day" / "daily-report.toml")
        opts = RunOptions(
            date="2026-03-17",
            config=config,
            provider="replay",
            dry_run=True,
            cache_path=tmp_path / "c.sqlite3",
        )
        engine.run_day(opts)
    assert leaks(recorded, DAY_SECRETS)
