"""The `daily-report` command: thin typer commands over the library.

Each command lives in its own module under ``pipeline/commands`` and registers itself here. Errors from
the library (``DailyReportError``) become one line on stderr and exit code 2; ``--debug`` shows tracebacks.

Nothing heavy is imported at module level: ``run()`` first lets ``daily_report.cli.usage_fast`` answer a
warm ``usage --json`` from the memo (no typer, pydantic or pricing import at all), then runs any other
``usage`` (JSON or tables) without typer; the typer ``app`` is built on first use (``from daily_report.cli.app
import app`` works as before). The console entry is ``main()``: after a light ``usage`` answer it ends the
process at once (``quick_exit``).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer
    from rich.console import Console

    app: typer.Typer
    err_console: Console

_state: dict[str, bool] = {"debug": False}


def build_app() -> typer.Typer:
    """The typer app with every command registered."""
    import logging

    import daily_report.sources.agents as agents
    import typer
    from daily_report.cli import eval_cmd, init_cmd, run_cmd, usage_cmd

    new = typer.Typer(
        name="daily-report",
        help=f"Turn a day of {agents.display_list()} sessions into a daily report, with its cost.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    def show_version(value: bool) -> None:
        if value:
            print(f"daily-report {version()}")
            raise typer.Exit()

    @new.callback()
    def main(
        debug: bool = typer.Option(False, "--debug", help="Show tracebacks and debug logging."),
        _version: bool = typer.Option(
            False, "--version", "-V", help="Print the version and exit.", callback=show_version, is_eager=True
        ),
    ) -> None:
        logging.basicConfig(
            level=logging.DEBUG if debug else logging.WARNING,
            format="%(levelname)s: %(message)s",
            stream=sys.stderr,
        )
        new.info.context_settings = {**(new.info.context_settings or {}), "obj": {"debug": debug}}
        _state["debug"] = debug

    init_cmd.register(new)
    usage_cmd.register(new)
    run_cmd.register(new)
    eval_cmd.register(new)
    return new


def version() -> str:
    """The installed distribution's version."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("daily-report")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def __getattr__(name: str) -> Any:
    """``app`` and ``err_console`` are made on first use."""
    if name == "app":
        globals()["app"] = made = build_app()
        return made
    if name == "err_console":
        from rich.console import Console

        globals()["err_console"] = console = Console(stderr=True)
        return console
    raise AttributeError(f"module 'daily_report.cli.app' has no attribute {name!r}")


def main() -> None:  # pragma: no cover - the console entry (`daily-report`, `python -m pipeline`)
    if run():
        quick_exit()


def quick_exit() -> None:  # pragma: no cover - ends the process
    """End a light ``usage`` process whose output is written and whose files are closed, without the
    interpreter's teardown (freeing every module and object: ~40 ms after a cold 1 GB run, a tenth of a warm
    one). Nothing is left to run there: no thread, no open database, no buffered output but the streams'."""
    import os

    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # e.g. a closed pipe: as Python itself would, fail
        os._exit(1)
    os._exit(0)


def run() -> bool:
    """Run the command line; True when the light ``usage`` path answered it (see ``main``)."""
    from daily_report.cli.sessions_fast import answer as sessions_answer
    from daily_report.cli.usage_fast import answer, run_light

    if answer(sys.argv[1:]) or run_light(sys.argv[1:]) or sessions_answer(sys.argv[1:]):
        return True
    from daily_report.core.errors import DailyReportError

    try:
        (globals().get("app") or __getattr__("app"))()
    except DailyReportError as e:
        if _state["debug"]:
            raise
        from rich.markup import escape

        __getattr__("err_console").print(f"[red]error:[/red] {escape(str(e))}", highlight=False)
        sys.exit(e.exit_code)
    return False
