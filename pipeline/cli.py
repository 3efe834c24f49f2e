"""The `daily-report` command: thin typer commands over the library.

Each command lives in its own module under ``pipeline/commands`` and registers itself here. Errors from
the library (``DailyReportError``) become one line on stderr and exit code 2; ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import logging
import sys

import typer
from rich.console import Console

from pipeline.commands import eval_cmd, run_cmd, usage_cmd
from pipeline.errors import DailyReportError

app = typer.Typer(
    name="daily-report",
    help="Turn a day of Claude Code and Codex sessions into a daily report, with its cost.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err_console = Console(stderr=True)


@app.callback()
def main(debug: bool = typer.Option(False, "--debug", help="Show tracebacks and debug logging.")) -> None:
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    app.info.context_settings = {"obj": {"debug": debug}}
    _state["debug"] = debug


_state: dict[str, bool] = {"debug": False}

usage_cmd.register(app)
run_cmd.register(app)
eval_cmd.register(app)


def run() -> None:  # pragma: no cover - console entry for `python -m pipeline`
    try:
        app()
    except DailyReportError as e:
        if _state["debug"]:
            raise
        err_console.print(f"[red]error:[/red] {e}", highlight=False)
        sys.exit(e.exit_code)
