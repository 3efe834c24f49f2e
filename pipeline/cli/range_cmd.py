"""`daily-report run --since D1 --until D2`: one report per day with sessions, one estimate for them all first.

Every day is planned before anything is sent (days without sessions, or without a session the filters
choose, are left out and named); the estimate of all the days is shown once and checked against the budget;
then each day runs in turn with the budget still left, with its progress, and the index is written last.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from daily_report.cli.console import _money, _print_estimate, _progress, err, out
from daily_report.core.errors import BudgetExceededError, NoMatchError
from rich.table import Table


def sum_estimates(estimates: Sequence[Any]) -> Any:
    """The estimates of several days as one: stage by stage, a cost unknown as soon as one part is."""
    from daily_report.engine.estimate import Estimate, StageEstimate

    first = estimates[0]
    by_stage: dict[str, StageEstimate] = {}
    for est in estimates:
        for s in est.stages:
            into = by_stage.setdefault(s.stage, StageEstimate(stage=s.stage))
            into.requests += s.requests
            into.cached += s.cached
            into.input_tokens += s.input_tokens
            into.cache_write_tokens += s.cache_write_tokens
            into.cache_read_tokens += s.cache_read_tokens
            into.output_tokens += s.output_tokens
            into.add_cost(s.cost_usd)
    notes = list(dict.fromkeys(n for e in estimates for n in e.notes))
    return Estimate(first.provider, first.model, first.batch, list(by_stage.values()), notes)


def days_between(first: date, last: date) -> list[str]:
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def plan_days(base: Any, days: Sequence[str], config: Any) -> tuple[list[Any], list[str]]:
    """Prepared runs of the days that have sessions to report, and the days left out."""
    from daily_report.engine.run import prepare_run

    runs, idle = [], []
    for day in days:
        opts = dataclasses.replace(base, date=day, announce_estimate=False)
        try:
            run = prepare_run(opts, config)
        except NoMatchError:
            idle.append(day)
            continue
        if run.day.sessions:
            runs.append(run)
        else:
            idle.append(day)
    return runs, idle


def run_range(base: Any, first: date, last: date, *, on_day: Callable[[Any], None]) -> list[Any]:
    """Plan every day, show one estimate, check the budget, then run the days in turn; the results."""
    from daily_report.core.config import load_config
    from daily_report.engine.run import answers_from, estimate_prepared
    from daily_report.llm.cache import Cache

    config = base.config or load_config(base.config_path, tz=base.tz)
    days = days_between(first, last)
    runs, _idle = plan_days(dataclasses.replace(base, config=config), days, config)
    if not runs:
        wanted = " (with the --session/--device filters)" if base.session_ids or base.devices else ""
        raise NoMatchError(f"no sessions to report from {first} to {last}{wanted}: nothing to run")
    cache = Cache(base.cache_path or config.cache_path)
    try:
        estimate = sum_estimates([estimate_prepared(r, cache) for r in runs])
        out.print(
            f"{len(runs)} of {len(days)} days from {first} to {last} have sessions: "
            + ", ".join(r.opts.date for r in runs)
        )
        _print_estimate({"estimate": estimate, "answers_from": answers_from(runs[0])})
        limit = base.max_cost if base.max_cost is not None else config.llm.max_cost_usd
        check_range_budget(estimate, limit, offline=base.offline)
        if base.dry_run:
            out.print("dry run: nothing was sent")
            return []
        return _execute_days(runs, cache, limit, on_day)
    finally:
        cache.close()


def check_range_budget(estimate: Any, limit: float | None, *, offline: bool) -> None:
    if limit is None or offline:
        return
    cost = estimate.cost_usd
    total = estimate.total()
    if cost is None and total.requests > total.cached:
        raise BudgetExceededError(
            f"--max-cost is set but the price of model {estimate.model!r} is unknown, so the budget "
            "cannot be kept: add its [prices] to the config or run without a budget"
        )
    if cost is not None and cost > Decimal(str(limit)):
        raise BudgetExceededError(
            f"the estimate for the range is ${cost:.4f}, above the budget of ${limit:.4f}: raise --max-cost, "
            "pick a cheaper --model, shorten the range, or use --batch"
        )


def _execute_days(
    runs: Sequence[Any], cache: Any, limit: float | None, on_day: Callable[[Any], None]
) -> list[Any]:
    from daily_report.engine.run import execute_run

    results: list[Any] = []
    spent = Decimal(0)
    for i, run in enumerate(runs, 1):
        n = len(run.day.sessions)
        err.print(f"day {i}/{len(runs)}: {run.opts.date} ({n} session{'s' if n != 1 else ''})")
        if limit is not None:
            left = max(float(Decimal(str(limit)) - spent), 1e-9)
            run.opts = dataclasses.replace(run.opts, max_cost=left)
        with _progress():
            result = execute_run(run, cache)
        results.append(result)
        on_day(result)
        gen = result.generation
        if gen is not None and gen.cost_usd is not None:
            spent += Decimal(str(gen.cost_usd))
    return results


def summary_table(results: Sequence[Any]) -> Table:
    t = Table(title="range run", title_justify="left")
    for col in ("date", "sessions", "calls", "failed", "pending", "cost", "report"):
        t.add_column(col, justify="left" if col in ("date", "report") else "right")
    for r in results:
        gen = r.generation
        report = r.paths.get("html") or r.paths.get("md")
        t.add_row(
            r.date,
            str(r.sessions),
            str(gen.calls if gen else 0),
            str(len(r.failures)),
            str(r.pending),
            _money(gen.cost_usd if gen else None),
            str(report) if report else "-",
        )
    return t


def index_path(results: Sequence[Any]) -> Path | None:
    for r in reversed(results):
        if "index" in r.paths:
            return Path(r.paths["index"])
    return None
