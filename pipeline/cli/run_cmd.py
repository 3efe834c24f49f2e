"""`daily-report run`, `cost` and `demo`: thin commands over ``daily_report.engine.run``.

Progress goes to stderr (a rich live line on a terminal, plain lines otherwise); tables and the summary
go to stdout. Library errors (``DailyReportError``) become one line and exit code 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from daily_report.cli.console import _errors, _money, _progress, out
from daily_report.core.paths import FIXTURES_DIR
from daily_report.llm.ledger_table import COUNTS
from rich.table import Table
from rich.text import Text

DEMO_DATE = "2026-03-17"
DEMO_CONFIG = FIXTURES_DIR / "day" / "daily-report.toml"
DEMO_OUT = Path("demo-report")


def print_summary(result: Any) -> None:
    gen = result.generation
    if gen is not None:
        out.print(
            f"calls {gen.calls} (cache hits {gen.cache_hits}), tokens in {gen.input_tokens:,} "
            f"out {gen.output_tokens:,} cache write {gen.cache_write_tokens:,} read {gen.cache_read_tokens:,}, "
            f"this run spent {_money(gen.cost_usd)}; the answers the report uses cost {_money(gen.answers_cost_usd)}"
        )
    skipped = ", ".join(f"{k} {v}" for k, v in sorted(result.skipped_sessions.items()))
    out.print(
        f"sessions {result.sessions}, chunks {result.chunks}" + (f", skipped: {skipped}" if skipped else "")
    )
    if result.unread_files:
        n = len(result.unread_files)
        out.print(Text(f"{n} transcript {'file' if n == 1 else 'files'} could not be read:", style="yellow"))
        for u in result.unread_files:
            out.print(f"  {u.path}: {u.reason}", markup=False, highlight=False)
    if result.failures:
        out.print(Text(f"{len(result.failures)} failed requests:", style="red"))
        for f in result.failures:
            out.print(f"  {f.label}: {f.error}")
    if result.imported:
        out.print(f"imported {result.imported} answers")
    if result.exported is not None:
        lines = result.exported_lines
        answers = f" ({result.pending} stage answers)" if lines != result.pending else ""
        out.print(f"wrote {lines} unanswered requests{answers} to {result.exported}")
    if result.halted:
        out.print(
            Text(
                f"{result.halted}; {result.pending} requests left pending, answers received are kept. "
                "Run the same command again once the endpoint answers to carry on.",
                style="red",
            )
        )
    elif result.pending:
        out.print(
            f"{result.pending} requests pending: the report is written once nothing is pending"
            + (
                " (a batch is still running: run the same command again to collect it)"
                if result.batch_running
                else ""
            )
        )
    for kind, path in result.paths.items():
        out.print(f"{kind}: {path}")


def _run(opts: Any, *, as_json: bool = False) -> Any:
    from daily_report.engine.run import run_day

    with _progress(show_estimate=not as_json):
        result = run_day(opts)
    if as_json:
        sys.stdout.write(json.dumps(result.estimate.as_json(), indent=2) + "\n")
    elif not result.dry_run:
        print_summary(result)
    else:
        out.print("dry run: nothing was sent")
    return result


# ---------------------------------------------------------------- commands


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("cost")(cost)
    app.command("demo")(demo)


def run(
    date: Annotated[
        str | None, typer.Option("--date", help="Local date: YYYY-MM-DD, today or yesterday.")
    ] = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="A range: one report per day with sessions; alone: to today."),
    ] = None,
    until: Annotated[str | None, typer.Option("--until", help="Last day of the range.")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="daily-report.toml")] = None,
    tz: Annotated[
        str | None, typer.Option("--tz", "-z", "--timezone", help="IANA zone; overrides the config.")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Reports directory (default: reports/).")
    ] = None,
    stage: Annotated[
        str | None, typer.Option("--stage", help="Re-send this stage (and what depends on it).")
    ] = None,
    session: Annotated[
        list[str] | None, typer.Option("--session", help="Only this session id (or prefix); repeatable.")
    ] = None,
    device: Annotated[
        list[str] | None, typer.Option("--device", help="Only this device; repeatable.")
    ] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="Prose language: en, zh.")] = None,
    provider: Annotated[str | None, typer.Option("--provider", help="anthropic | openai | replay")] = None,
    model: Annotated[str | None, typer.Option("--model")] = None,
    base_url: Annotated[str | None, typer.Option("--base-url")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Plan and estimate; send nothing.", metavar="")
    ] = False,
    batch: Annotated[
        bool, typer.Option("--batch", help="Use the provider's batch API (half price).", metavar="")
    ] = False,
    batch_resubmit: Annotated[
        bool,
        typer.Option(
            "--batch-resubmit",
            help="With --batch: submit again requests whose earlier batch submission got no answer.",
            metavar="",
        ),
    ] = False,
    export_requests: Annotated[
        Path | None, typer.Option("--export-requests", help="Write unanswered requests.")
    ] = None,
    import_results: Annotated[
        Path | None, typer.Option("--import-results", help="Read batch results.")
    ] = None,
    max_cost: Annotated[float | None, typer.Option("--max-cost", help="Budget in USD for this run.")] = None,
    open_: Annotated[
        bool, typer.Option("--open", help="Open the report (the index for a range) in a browser.", metavar="")
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="With --dry-run and --date: the estimate as JSON on stdout.", metavar=""),
    ] = False,
) -> None:
    """Build the daily report for one date (--date), or for each day with sessions of a range (--since)."""
    from daily_report.core.errors import ConfigError
    from daily_report.engine.plan import RunOptions

    with _errors():
        check_budget_option(max_cost)
        first, last, ranged = _run_days(date, since, until, config, tz)
        if as_json and (not dry_run or ranged):
            raise ConfigError(
                "--json prints the estimate of a dry run of one day: use it with --dry-run --date"
            )
        opts = RunOptions(
            date=first,
            config_path=config,
            tz=tz,
            out_dir=out_dir,
            stage=stage,
            session_ids=tuple(session or ()),
            devices=tuple(device or ()),
            lang=lang,
            provider=provider,
            model=model,
            base_url=base_url,
            dry_run=dry_run,
            batch=batch,
            batch_resubmit=batch_resubmit,
            export_requests=export_requests,
            import_results=import_results,
            max_cost=max_cost,
        )
        if ranged:
            results = _run_range(opts, first, last)
            if open_ and results:
                open_in_browser(index_path(results))
            raise typer.Exit(1 if any(r.failures for r in results) else 0)
        result = _run(opts, as_json=as_json)
    if open_ and not result.dry_run:
        open_in_browser(result.paths.get("html") or result.paths.get("index"))
    if result.failures or result.halted:
        raise typer.Exit(1)


def _run_range(opts: Any, first: str, last: str) -> list[Any]:
    from datetime import date as Date

    from daily_report.cli.range_cmd import run_range, summary_table

    results = run_range(opts, Date.fromisoformat(first), Date.fromisoformat(last), on_day=print_summary)
    if results:
        out.print(summary_table(results))
        if (index := index_path(results)) is not None:
            out.print(f"index: {index}")
    return results


def index_path(results: Any) -> Path | None:
    from daily_report.cli.range_cmd import index_path as last_index

    return last_index(results)


def _run_days(
    date: str | None, since: str | None, until: str | None, config: Path | None, tz: str | None
) -> tuple[str, str, bool]:
    """The first and last day asked for, and whether it is a range; words (today) in the run's zone."""
    from daily_report.cli.usage_fast import day_range
    from daily_report.core.errors import ConfigError

    if date is None and since is None and until is None:
        raise ConfigError("give --date D (YYYY-MM-DD, today, yesterday) or a range --since D1 [--until D2]")
    words = {date, since, until} & {"today", "yesterday"}
    zone = None
    if words:
        from daily_report.core.config import load_config, resolve_zone

        zone = resolve_zone(load_config(config, tz=tz))
    first, last = day_range(date, since, until, zone)
    return first.isoformat(), last.isoformat(), bool(since or until)


def _check_date(value: str) -> str:
    from daily_report.cli.usage_fast import parse_day

    return parse_day(value, "--date").isoformat()


def check_budget_option(max_cost: float | None) -> None:
    from daily_report.core.errors import ConfigError

    if max_cost is not None and not max_cost > 0:
        raise ConfigError(f"--max-cost {max_cost:g} must be above 0 (USD); leave it out for no budget")


def open_in_browser(target: Path | str | None) -> None:
    """Open a written report (or index) in the user's browser (``$BROWSER`` is honoured by webbrowser)."""
    import webbrowser

    if target is None:
        return
    url = Path(target).resolve().as_uri()
    if not webbrowser.open(url):
        from daily_report.cli.console import err

        err.print(f"could not open a browser: open {url} yourself")


def cost(
    date: Annotated[str | None, typer.Option("--date", help="Only calls made for this report date.")] = None,
    config: Annotated[Path | None, typer.Option("--config")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.", metavar="")] = False,
    every: Annotated[
        bool,
        typer.Option("--all", help="Also count eval and demo calls (default: report runs only).", metavar=""),
    ] = False,
) -> None:
    """What the LLM calls of report runs cost, per stage and model (from the ledger)."""
    from daily_report.core.config import load_config
    from daily_report.llm.ledger import Ledger
    from daily_report.llm.ledger_table import cost_rows

    with _errors():
        date = None if date is None else _check_date(date)
        cfg = load_config(config)
        ledger = Ledger(cfg.cache_path)
        rows = cost_rows(ledger.rows(date, kinds=None if every else ("run",)))
    if as_json:
        sys.stdout.write(json.dumps({"date": date, "all": every, "rows": rows}, indent=2) + "\n")
        return
    kinds = "runs, evals and demos" if every else "report runs; --all adds evals and demos"
    t = Table(title=f"LLM cost{f' for {date}' if date else ''} (ledger: {kinds})", title_justify="left")
    for col in (
        "stage",
        "model",
        "calls",
        "cache hits",
        "errors",
        "input",
        "output",
        "cache write",
        "cache read",
    ):
        t.add_column(col, justify="left" if col in ("stage", "model") else "right")
    t.add_column("cost", justify="right")
    for r in rows:
        t.add_row(
            r["stage"],
            r["model"],
            *(f"{r[k]:,}" for k in COUNTS),
            _money(r["cost_usd"]),
            end_section=r["stage"] == "total" or r is rows[-2],
        )
    out.print(t)


def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Where the demo report goes.")] = DEMO_OUT,
    open_: Annotated[bool, typer.Option("--open", help="Open the report in a browser.", metavar="")] = False,
) -> None:
    """The bundled fixture day through the replay provider: no key, no network, all three formats."""
    with _errors():
        result = run_demo(out_dir)
    out.print(f"demo report for {DEMO_DATE}:")
    for kind, path in result.paths.items():
        out.print(f"  {kind}: {path}")
    if open_:
        open_in_browser(result.paths.get("html"))


def run_demo(out_dir: Path) -> Any:
    from daily_report.core.config import load_config
    from daily_report.core.errors import ConfigError
    from daily_report.engine.plan import RunOptions
    from daily_report.engine.run import run_day

    if not DEMO_CONFIG.is_file():
        raise ConfigError(f"the demo fixture day is missing: expected {DEMO_CONFIG}")
    config = load_config(DEMO_CONFIG)
    opts = RunOptions(
        date=DEMO_DATE,
        config=config,
        out_dir=out_dir,
        provider="replay",
        cache_path=out_dir / ".cache" / "cache.sqlite3",
        ledger_kind="demo",
    )
    with _progress():
        result = run_day(opts)
    if result.failures:
        names = ", ".join(f.label for f in result.failures[:5])
        raise ConfigError(
            f"the demo has {len(result.failures)} failed requests ({names}): the fixtures are incomplete"
        )
    return result
