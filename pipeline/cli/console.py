"""The consoles of the run/cost/demo/eval commands: progress on stderr (a live bar on a terminal, throttled
plain lines otherwise), the estimate table on stdout, and library errors as one line (exit 2) or Ctrl-C
(exit 130; a second one while requests in flight are waited for leaves at once).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import typer
from daily_report.core import log
from daily_report.core.errors import DailyReportError
from daily_report.llm.factory import PROVIDERS
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table
from rich.text import Text

WIDE = 130  # tables are not cut to 80 columns when the output is a file or a pipe


class _Out:
    """Consoles made on use, so they follow the current stdout/stderr (pipes, CliRunner)."""

    def __init__(self, *, stderr: bool) -> None:
        self.stderr = stderr

    def console(self) -> Console:
        """Markup off: labels, errors and paths ([/tmp], pydantic's [type=missing]) print as they are;
        colour comes from ``Text`` styles."""
        c = Console(stderr=self.stderr, highlight=False, soft_wrap=True, markup=False)
        if not c.is_terminal:
            c = Console(stderr=self.stderr, highlight=False, soft_wrap=True, width=WIDE, markup=False)
        return c

    def print(self, *args: Any, **kwargs: Any) -> None:
        self.console().print(*args, **kwargs)


out = _Out(stderr=False)
err = _Out(stderr=True)


def _money(v: Decimal | float | None, digits: int = 4) -> str:
    return "unknown" if v is None else f"${float(v):,.{digits}f}"


# ---------------------------------------------------------------- progress


class _Display:
    """Progress events -> a live bar on a terminal (plain lines otherwise) on stderr; the estimate table
    goes to stdout the moment it is known, before anything is sent."""

    def __init__(self, console: Console, *, show_estimate: bool = True) -> None:
        self.console = console
        self.show_estimate = show_estimate
        self.bar: Progress | None = None
        self.task: TaskID | None = None
        self.throttle = Throttle()

    def __call__(self, event: str, fields: dict[str, Any]) -> None:
        if event == "estimate":
            if self.show_estimate:
                _print_estimate(fields)
            return
        if event == "request_done" and self.console.is_terminal:
            self._bar(fields)
            if fields["status"] != "failed":
                return
        elif event == "request_done" and not self.throttle.due(fields):
            return
        line = _progress_line(event, fields)
        if line is not None:
            (self.bar.console if self.bar is not None else self.console).print(line)

    def _bar(self, f: dict[str, Any]) -> None:
        if self.bar is None:
            self.bar = Progress(
                TextColumn("calls"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[info]}"),
                console=self.console,
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("calls", total=f["total"], info="")
        assert self.task is not None
        info = f"cache hits {f['cache_hits']}  failed {f['failed']}  spent {_money(f['spent_usd'])}"
        self.bar.update(self.task, completed=f["done"], total=max(f["total"], f["done"]), info=info)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


class Throttle:
    """Which request_done events a plain (non-terminal) stderr gets: every failure at once, otherwise a
    line per 10% of the calls or per 10 s, and the last one."""

    def __init__(self, *, every_s: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.every_s, self.clock = every_s, clock
        self.last_done = 0
        self.last_time = clock()

    def due(self, f: dict[str, Any]) -> bool:
        done, total, now = f["done"], max(f["total"], 1), self.clock()
        step = max(1, -(-total // 10))
        if not (
            f["status"] == "failed"
            or done >= total
            or done - self.last_done >= step
            or now - self.last_time >= self.every_s
        ):
            return False
        self.last_done, self.last_time = done, now
        return True


def _print_estimate(fields: dict[str, Any]) -> None:
    """The estimate table; for replay (nothing is paid) one line saying where the answers come from."""
    est = fields["estimate"]
    if est.provider in PROVIDERS and PROVIDERS[est.provider].free:
        where = fields.get("answers_from") or "the replay directory"
        out.print(f"replay: {est.total().requests} requests, answers from {where}")
        return
    title = f"estimate: {est.provider} {est.model}" + (" (batch: half price)" if est.batch else "")
    out.print(estimate_table(est, title))


def _progress_line(event: str, f: dict[str, Any]) -> str | None:
    if event == "sessions_planned":
        return f"planned {f['sessions']} sessions, {f['chunks']} chunks"
    if event == "request_done":
        failed = f["status"] == "failed"  # throttled lines sum up; a failure names its request
        tail = f"  failed: {f['label']} ({f.get('error') or 'no answer'})" if failed else ""
        return (
            f"calls {f['done']}/{f['total']}  cache hits {f['cache_hits']}  failed {f['failed']}  "
            f"spent {_money(f['spent_usd'])}{tail}"
        )
    if event == "note":
        return str(f["message"])
    if event == "waiting":
        return f"interrupted: waiting for {f['requests']} requests in flight (Ctrl-C again to abandon)"
    if event in ("stage_waiting", "pending", "exported", "batch_submitted", "batch_poll", "batch_running"):
        return f"{event.replace('_', ' ')}: " + ", ".join(f"{k}={v}" for k, v in f.items())
    return None


@contextmanager
def _progress(*, show_estimate: bool = True) -> Iterator[None]:
    display = _Display(err.console(), show_estimate=show_estimate)
    log.set_progress_sink(display)
    try:
        yield
    finally:
        log.set_progress_sink(None)
        display.close()


@contextmanager
def _errors() -> Iterator[None]:
    """DailyReportError -> one line and exit 2 (tracebacks with --debug); Ctrl-C -> a note and exit 130."""
    try:
        yield
    except DailyReportError as e:
        if logging.getLogger().isEnabledFor(logging.DEBUG):
            raise
        err.print(Text("error:", style="red"), str(e))
        raise typer.Exit(e.exit_code) from None
    except KeyboardInterrupt as e:
        err.print(
            "interrupted: every answer received is in the cache; run the same command again to carry on"
        )
        if _abandoned(e):
            _exit_now(130)
        raise typer.Exit(130) from None


def _abandoned(e: BaseException) -> bool:
    from daily_report.engine.execute import Abandoned

    return isinstance(e, Abandoned)


def _exit_now(code: int) -> None:
    """A second Ctrl-C: leave without joining the worker threads still waiting on the network (what they
    stored is committed; SQLite's WAL keeps it)."""
    import os

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


# ---------------------------------------------------------------- tables


def estimate_table(estimate: Any, title: str) -> Table:
    t = Table(title=title, title_justify="left")
    for col in ("stage", "requests", "cached", "input tokens", "cache write", "cache read", "output tokens"):
        t.add_column(col, justify="left" if col == "stage" else "right")
    t.add_column("est. cost", justify="right")
    rows = [*estimate.stages, estimate.total()]
    for r in rows:
        t.add_row(
            r.stage,
            f"{r.requests:,}",
            f"{r.cached:,}",
            f"{r.input_tokens:,}",
            f"{r.cache_write_tokens:,}",
            f"{r.cache_read_tokens:,}",
            f"{r.output_tokens:,}",
            _money(r.cost_usd),
            end_section=len(rows) > 1 and r is rows[-2],
        )
    return t
