"""The report's two costs: what its answers cost whoever paid for them, and what this run spent.

A cached re-run or an export/import round spends little while the answers the report uses cost the same:
the header, the footer, report.json's generation and the index show both."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from daily_report.engine.run import answers_cost
from daily_report.report.fmt import money

from tests.stub_llm_server import StubLLMServer
from tests.test_run_day import DAY, invoke, make_day, report_json, run_args
from tests.test_run_exchange import answer_file


def _ledger_total(config: Path) -> float:
    done = invoke("cost", "--date", DAY, "--config", str(config), "--json")
    assert done.exit_code == 0, done.output
    rows = json.loads(done.output)["rows"]
    total: float = next(r for r in rows if r["stage"] == "total")["cost_usd"]
    return total


def _shown(tmp_path: Path) -> tuple[str, str, str]:
    day = tmp_path / "reports" / DAY
    return (
        (day / "report.md").read_text(encoding="utf-8"),
        (day / "report.html").read_text(encoding="utf-8"),
        (tmp_path / "reports" / "index.html").read_text(encoding="utf-8"),
    )


def test_answers_cost_sums_every_answer_and_an_unknown_price_stays_unknown() -> None:
    def outcome(cost: str | None, answered: bool = True) -> Any:
        response = SimpleNamespace(cost_usd=None if cost is None else Decimal(cost)) if answered else None
        return SimpleNamespace(response=response)

    assert answers_cost([outcome("0.25"), outcome("0.0149"), outcome("9", answered=False)]) == pytest.approx(
        0.2649
    )
    assert answers_cost([outcome("0.25"), outcome(None)]) is None
    assert answers_cost([]) == 0.0


def test_a_cached_rerun_spends_nothing_but_its_answers_still_cost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    with StubLLMServer() as stub:
        config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
        assert invoke(*run_args(config)).exit_code == 0
        first = report_json(tmp_path)["generation"]
        assert first["cost_usd"] > 0
        assert first["answers_cost_usd"] == pytest.approx(first["cost_usd"])  # all paid by this run

        again = invoke(*run_args(config))
        assert again.exit_code == 0, again.output
    gen = report_json(tmp_path)["generation"]
    assert gen["cache_hits"] == gen["calls"] > 0
    assert gen["cost_usd"] == 0
    assert gen["answers_cost_usd"] == pytest.approx(first["cost_usd"])
    assert (
        f"this run spent $0.0000; the answers the report uses cost {money(gen['answers_cost_usd'])}"
        in again.output
    )
    assert gen["answers_cost_usd"] == pytest.approx(_ledger_total(config))  # what `cost` shows for the day
    both = f"report answers cost {money(gen['answers_cost_usd'])} · this run spent $0.0000"
    md, html, index = _shown(tmp_path)
    assert both in md.split("\n## ")[0]  # the header
    assert f"the answers this report uses cost {money(gen['answers_cost_usd'])} in all" in md
    assert both in html.split("</header>")[0]
    assert money(gen["answers_cost_usd"]) in index and "this run $0.0000" in index


def test_after_export_and_import_rounds_the_report_counts_every_round(tmp_path: Path) -> None:
    with StubLLMServer() as stub:  # only writes the answers; never receives a request
        config = make_day(tmp_path, provider="anthropic", base_url="http://127.0.0.1:9")
        exported = tmp_path / "requests-0.jsonl"
        assert invoke(*run_args(config, "--export-requests", str(exported))).exit_code == 0
        report = tmp_path / "reports" / DAY / "report.json"
        for n in range(4):
            if report.exists():
                break
            answers = tmp_path / f"results-{n}.jsonl"
            answer_file(stub, exported, answers, provider="anthropic")
            exported = tmp_path / f"requests-{n + 1}.jsonl"
            done = invoke(
                *run_args(config, "--import-results", str(answers), "--export-requests", str(exported))
            )
            assert done.exit_code == 0, done.output
        assert stub.requests == []
    gen = report_json(tmp_path)["generation"]
    assert 0 < gen["cost_usd"] < gen["answers_cost_usd"]  # the last round paid only for the overview
    assert gen["answers_cost_usd"] == pytest.approx(_ledger_total(config))
    md, html, _ = _shown(tmp_path)
    for text in (md, html):
        assert (
            f"report answers cost {money(gen['answers_cost_usd'])} · this run spent {money(gen['cost_usd'])}"
            in text
        )
