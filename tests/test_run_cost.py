"""`daily-report cost` over the ledger, and the budget: refused before the start, stopped during the run."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from daily_report.engine.plan import RunOptions
from daily_report.engine.run import run_day
from daily_report.llm.ledger import Ledger

from tests.stub_llm_server import StubLLMServer, example_for, schema_of
from tests.test_run_day import (
    DAY,
    invoke,
    keys,  # noqa: F401  (fixture)
    make_day,
    report_json,
    run_args,
)
from tests.test_run_day import _fast_retries as _fast_retries  # fixtures shared with test_run_day

STAGES = ("facts", "tasks", "issues", "human_ai", "takeaways", "session", "projects", "overview")


@pytest.mark.usefixtures("keys")
def test_cost_prints_the_ledger_per_stage_and_model(tmp_path: Path) -> None:
    with StubLLMServer() as stub:
        config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
        assert invoke(*run_args(config)).exit_code == 0
        assert invoke(*run_args(config)).exit_code == 0  # all cache hits
    gen = report_json(tmp_path)["generation"]

    table = invoke("cost", "--date", DAY, "--config", str(config))
    assert table.exit_code == 0, table.output
    for stage in STAGES:
        assert stage in table.output
    assert "claude-haiku-4-5" in table.output and "total" in table.output

    as_json = invoke("cost", "--date", DAY, "--config", str(config), "--json")
    assert as_json.exit_code == 0, as_json.output
    rows = json.loads(as_json.stdout)["rows"]
    by_stage = {r["stage"]: r for r in rows}
    assert set(by_stage) == {*STAGES, "chunk", "total"}
    total = by_stage["total"]
    # two runs: the first sent 8 requests (5 chunks' bundled requests, the reduce, 1 project, the
    # overview), the second hit the cache for each of the 28 stage answers they gave
    assert by_stage["chunk"]["calls"] == 5 and by_stage["chunk"]["cache_hits"] == 0
    assert by_stage["tasks"]["calls"] == 0 and by_stage["tasks"]["cache_hits"] == 5
    assert total["calls"] == 8 and total["cache_hits"] == gen["cache_hits"] == 28
    assert total["cost_usd"] is not None and total["cost_usd"] > 0
    assert abs(sum(r["cost_usd"] for r in rows if r["stage"] != "total") - total["cost_usd"]) < 1e-9
    assert json.loads(invoke("cost", "--date", "2026-01-01", "--config", str(config), "--json").stdout)[
        "rows"
    ] == [
        {
            "stage": "total",
            "model": "",
            **dict.fromkeys(
                (
                    "calls",
                    "cache_hits",
                    "errors",
                    "input_tokens",
                    "output_tokens",
                    "cache_write_tokens",
                    "cache_read_tokens",
                ),
                0,
            ),
            "cost_usd": 0.0,
        }
    ]


@pytest.mark.usefixtures("keys")
def test_unknown_prices_show_as_unknown(tmp_path: Path) -> None:
    with StubLLMServer() as server:
        config = make_day(tmp_path, provider="openai", base_url=server.openai_url)
        assert invoke(*run_args(config, "--model", "my-local-model")).exit_code == 0
    rows = json.loads(invoke("cost", "--config", str(config), "--json").stdout)["rows"]
    assert rows[-1]["cost_usd"] is None
    assert "unknown" in invoke("cost", "--config", str(config)).output
    assert report_json(tmp_path)["generation"]["cost_usd"] is None


@pytest.mark.usefixtures("keys")
def test_a_run_over_budget_is_refused_before_sending(tmp_path: Path) -> None:
    with StubLLMServer() as stub:
        config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
        result = invoke(*run_args(config, "--max-cost", "0.001"))
    assert result.exit_code == 2
    assert "above the budget of $0.0010" in result.output
    assert stub.requests == []


def _verbose(body: dict[str, Any]) -> dict[str, Any]:
    """Valid answers with very long prose: real spend far above the estimate."""

    def grow(v: Any) -> Any:
        if isinstance(v, str) and v.startswith("example"):
            return v + " lorem ipsum" * 300
        if isinstance(v, dict):
            return {k: grow(x) for k, x in v.items()}
        if isinstance(v, list):
            return [grow(x) for x in v]
        return v

    schema = schema_of(body) or {}
    return dict(grow(example_for(schema)))


@pytest.mark.usefixtures("keys")
def test_the_run_stops_sending_when_spend_would_pass_the_budget(tmp_path: Path) -> None:
    with StubLLMServer(answer=_verbose) as server:
        config = make_day(tmp_path, provider="anthropic", base_url=server.url)
        estimate = run_day(RunOptions(date=DAY, config_path=config, dry_run=True)).estimate.cost_usd
        assert estimate is not None
        budget = estimate * Decimal("1.2")  # the run may start; its verbose answers cost far more
        result = invoke(*run_args(config, "--max-cost", str(budget)))
        sent = len(server.message_requests())
    assert result.exit_code == 1, result.output
    data = report_json(tmp_path)
    stopped = [f for f in data["failures"] if f["error"] == "budget reached"]
    assert stopped and len(stopped) == len(data["failures"])
    assert 0 < sent < 28
    rows = Ledger(tmp_path / "cache.sqlite3").rows(DAY)
    dearest = max(r["cost_usd"] for r in rows)
    # spend stays under the budget, or passes it by at most the requests already in flight (concurrency 4)
    assert 0 < Decimal(str(data["generation"]["cost_usd"])) <= budget + 4 * dearest
