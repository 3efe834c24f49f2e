"""`daily-report eval`: score prompts against the fixture cases, compare with a baseline, gate CI.

Thin over ``daily_report.eval.evaluate``: tables and summary lines go to stdout, progress to stderr. Exit codes:
0 all good; 1 a row errored, a score fell under ``--fail-under`` or regressed beyond ``--tolerance``;
2 usage and configuration errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from daily_report.cli.console import _errors, err, out
from daily_report.core import log
from rich.text import Text


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)


def _sink() -> Callable[[str, dict[str, Any]], None]:
    def sink(event: str, fields: dict[str, Any]) -> None:
        if event == "eval_case":
            err.print(f"case {fields['case']} (prompts {fields['prompts']})")
        elif event == "request_done" and fields.get("status") == "failed":
            err.print(f"  failed: {fields['label']} ({fields.get('error')})")

    return sink


@contextmanager
def _progress() -> Iterator[None]:
    log.set_progress_sink(_sink())
    try:
        yield
    finally:
        log.set_progress_sink(None)


def eval_command(
    cases: Annotated[
        Path | None, typer.Option("--cases", help="Cases directory (default: fixtures/cases).")
    ] = None,
    case: Annotated[list[str] | None, typer.Option("--case", help="Only this case; repeatable.")] = None,
    stage: Annotated[list[str] | None, typer.Option("--stage", help="Only this stage; repeatable.")] = None,
    prompts: Annotated[
        Path | None, typer.Option("--prompts", help="Prompts directory (default: the repo's prompts/).")
    ] = None,
    baseline: Annotated[
        str | None,
        typer.Option(
            "--baseline",
            help="Prompts DIR, git ref, or results FILE to compare with (default: the --accept'ed one).",
        ),
    ] = None,
    provider: Annotated[str | None, typer.Option("--provider", help="anthropic | openai | replay")] = None,
    model: Annotated[str | None, typer.Option("--model")] = None,
    base_url: Annotated[str | None, typer.Option("--base-url")] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="daily-report.toml: its llm and prices tables and cache_path apply."),
    ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the results as JSON.")] = None,
    html_out: Annotated[Path | None, typer.Option("--html", help="Write the results as HTML.")] = None,
    repeat: Annotated[
        int,
        typer.Option(
            "--repeat",
            min=1,
            help="Send every request N times (samples 1..N, re-sent, each under its own cache key) for the spread.",
        ),
    ] = 1,
    fail_under: Annotated[
        float | None, typer.Option("--fail-under", min=0.0, max=1.0, help="Exit 1 if any score is below X.")
    ] = None,
    tolerance: Annotated[
        float, typer.Option("--tolerance", min=0.0, max=1.0, help="Allowed drop against the baseline.")
    ] = 0.05,
    accept: Annotated[
        bool,
        typer.Option("--accept", help="Store this run as the baseline later runs compare with.", metavar=""),
    ] = False,
    judge: Annotated[
        bool, typer.Option("--judge", help="Add an LLM judge score (prompts/judge).", metavar="")
    ] = False,
) -> None:
    """Score the stage prompts on the eval cases; compare with a baseline; exit 1 on a regression."""
    from daily_report.core.config import load_config
    from daily_report.eval.evaluate import evaluate
    from daily_report.eval.runner import EvalSettings

    with _errors():
        check_provider(provider)
        settings = EvalSettings(
            cases_dir=cases,
            case_names=case,
            stages=stage,
            provider=provider,
            model=model,
            base_url=base_url,
            repeat=repeat,
            judge=judge,
            config=load_config(config),
        )
        if prompts is not None and not prompts.is_dir():
            from daily_report.core.errors import ConfigError

            raise ConfigError(f"--prompts {prompts} is not a directory")
        with _progress():
            outcome = evaluate(
                settings,
                prompts_dir=prompts,
                baseline=baseline,
                tolerance=tolerance,
                fail_under=fail_under,
                accept=accept,
            )
        _show(outcome, json_out=json_out, html_out=html_out)
    raise typer.Exit(outcome.exit_code)


def check_provider(name: str | None) -> None:
    """An unknown --provider is one line before any case runs (not one warning per case)."""
    from daily_report.core.errors import ConfigError
    from daily_report.llm.factory import PROVIDERS

    if name is not None and name not in PROVIDERS:
        raise ConfigError(f"unknown provider {name!r}: use one of {', '.join(PROVIDERS)}")


def _show(outcome: Any, *, json_out: Path | None, html_out: Path | None) -> None:
    from daily_report.eval import render

    current, cmp = outcome.current, outcome.comparison
    out.print(render.results_table(current))
    for line in render.stage_lines(current):
        out.print(line)
    if cmp is not None:
        out.print(render.comparison_table(cmp))
        if (system := cmp.system_change()) is not None:
            out.print(f"{system} (the shared system prompt: every stage re-sent)")
        for s in cmp.stages:
            out.print(render.summary_line(s))
        if outcome.baseline_ran:
            out.print(render.spent_line(cmp.base.spent, label=f"baseline ({cmp.base.label})"))
    out.print(render.spent_line(current.spent))
    if json_out is not None:
        render.write_json(json_out, render.results_document(current, cmp, outcome.problems))
        out.print(f"json: {json_out}")
    if html_out is not None:
        render.write_html(html_out, render.render_html(current, cmp, outcome.problems))
        out.print(f"html: {html_out}")
    if outcome.accepted is not None:
        out.print(f"accepted as the baseline: {outcome.accepted}")
    for p in outcome.problems:
        out.print(Text("gate:", style="red"), str(p))
