"""A dry run never loads the provider SDKs (they cost ~1.3 s of start-up); `run --dry-run --json` prints
the estimate."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from daily_report.core.paths import FIXTURES_DIR

CONFIG = FIXTURES_DIR / "day" / "daily-report.toml"


def test_a_dry_run_imports_neither_sdk(tmp_path) -> None:  # type: ignore[no-untyped-def]
    code = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from daily_report.engine.run import run_day
        from daily_report.engine.plan import RunOptions
        for provider in ("anthropic", "openai"):
            result = run_day(RunOptions(date="2026-03-17", config_path=Path({str(CONFIG)!r}), provider=provider,
                                        dry_run=True, cache_path=Path({str(tmp_path)!r}) / "c.sqlite3"))
            assert result.estimate.total().requests > 0
        print(sorted(m for m in ("anthropic", "openai") if m in sys.modules))
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


def test_dry_run_json_prints_the_estimate_and_its_totals(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    from daily_report.cli.app import app
    from typer.testing import CliRunner

    args = ["run", "--date", "2026-03-17", "--config", str(CONFIG), "--provider", "anthropic"]
    got = CliRunner().invoke(
        app, [*args, "--dry-run", "--json"], env={"DAILY_REPORT_CACHE_DIR": str(tmp_path)}
    )
    assert got.exit_code == 0, got.output
    data = json.loads(got.stdout)
    stages, totals = data["stages"], data["totals"]
    assert [s["stage"] for s in stages][:2] == ["chunk", "session"]  # chunk stages: one request per chunk
    for key in ("requests", "input_tokens", "cache_write_tokens", "cache_read_tokens", "output_tokens"):
        assert totals[key] == sum(s[key] for s in stages)
    assert totals["input_tokens"] >= totals["cache_write_tokens"] + totals["cache_read_tokens"] > 0
    assert totals["cost_usd"] > 0
    refused = CliRunner().invoke(app, [*args, "--json"])
    assert refused.exit_code == 2 and "--dry-run" in refused.output
