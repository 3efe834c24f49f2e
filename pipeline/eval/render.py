"""Eval results as a rich table (stdout), JSON and self-contained HTML (jinja2 with autoescape).

The renderers take the values the runner and ``compare`` return and print nothing themselves: the CLI
prints the tables and lines they build.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from daily_report.eval.compare import Comparison, StageSummary
from daily_report.eval.results import EvalResult, Row, Spent, stage_totals
from jinja2 import Environment, FileSystemLoader, select_autoescape
from rich.table import Table
from rich.text import Text

TEMPLATES = Path(__file__).resolve().parent / "templates"


def money(v: float | None, digits: int = 4) -> str:
    return "unknown" if v is None else f"${v:,.{digits}f}"


def signed(v: float | None) -> str:
    return "–" if v is None else f"{v:+.2f}"


def _scores_cell(row: Row) -> str:
    parts = []
    for s in row.scores:
        spread = row.spread.get(s.name)
        extra = f" [{spread.min:.2f}–{spread.max:.2f}]" if spread is not None else ""
        parts.append(f"{s.name} {s.value:.2f}{extra}")
    return ", ".join(parts)


def _why(row: Row) -> str:
    if row.error:
        return row.error
    return "; ".join(f"{s.name}: {s.reason}" for s in row.scores if not s.passed)


def _status(row: Row) -> Text:
    if row.error:
        return Text("error", style="red")
    return Text("pass", style="green") if row.passed else Text("FAIL", style="red")


def results_table(result: EvalResult) -> Table:
    """One line per case and stage: the mean score, each scorer's value and why anything failed."""
    t = Table(title=f"eval: {result.label} ({result.provider} {result.model})", title_justify="left")
    for col in ("case", "stage", "score", "", "scores", "why", "tokens in/out", "cost"):
        t.add_column(col, justify="right" if col in ("score", "tokens in/out", "cost") else "left")
    for r in result.rows:
        t.add_row(
            r.case,
            r.stage,
            f"{r.value:.2f}",
            _status(r),
            _scores_cell(r),
            _why(r),
            f"{r.prompt_tokens:,}/{r.output_tokens:,}",
            money(r.cost_usd),
        )
    return t


def comparison_table(cmp: Comparison) -> Table:
    """Per case and stage: the baseline's score, this run's, and the delta."""
    t = Table(title=f"eval: {cmp.base.label} → {cmp.current.label}", title_justify="left")
    for col in ("case", "stage", "baseline", "current", "delta", "", "why"):
        t.add_column(col, justify="right" if col in ("baseline", "current", "delta") else "left")
    for d in cmp.rows:
        delta = d.delta
        style = (
            "red"
            if delta is not None and delta < -cmp.tolerance
            else ("green" if delta and delta > 0 else "")
        )
        t.add_row(
            d.case,
            d.stage,
            "–" if d.base is None else f"{d.base.value:.2f}",
            "–" if d.current is None else f"{d.current.value:.2f}",
            Text(signed(delta), style=style),
            _status(d.current) if d.current is not None else Text("missing", style="yellow"),
            _why(d.current) if d.current is not None else "",
        )
    return t


def stage_lines(result: EvalResult) -> list[str]:
    """A summary line per stage: prompt version, mean score, failing rows, answer tokens and cost."""
    lines = []
    for stage in result.stages():
        if stage == "*":
            continue
        rows = [r for r in result.rows if r.stage == stage]
        mean = sum(r.value for r in rows) / len(rows)
        failing = sum(1 for r in rows if not r.passed)
        tin, tout, cost = stage_totals(rows)
        info = result.prompts.get(stage)
        name = f"{stage} {info.version}" if info else stage
        lines.append(
            f"{name}: mean {mean:.2f} over {len(rows)} cases, {failing} failing; "
            f"answers {tin:,} in / {tout:,} out tokens, {money(cost)}"
        )
    return lines


def summary_line(s: StageSummary) -> str:
    def side(mean: float | None) -> str:
        return "–" if mean is None else f"{mean:.2f}"

    (bi, bo, bc), (ci, co, cc) = s.base_tokens, s.current_tokens
    return (
        f"{s.versions()}: {side(s.base_mean)} → {side(s.current_mean)} ({signed(s.delta)}), "
        f"{s.regressions} regressed; tokens {bi + bo:,} → {ci + co:,}, cost {money(bc)} → {money(cc)}"
    )


def spent_line(spent: Spent, *, label: str = "eval run") -> str:
    return (
        f"{label}: calls {spent.calls} (cache hits {spent.cache_hits}, sent {spent.sent}), tokens in "
        f"{spent.input_tokens:,} out {spent.output_tokens:,} cache write {spent.cache_write_tokens:,} "
        f"read {spent.cache_read_tokens:,}, cost {money(spent.cost_usd)}"
    )


# ---------------------------------------------------------------- files


def results_document(
    current: EvalResult, comparison: Comparison | None, problems: list[str]
) -> dict[str, Any]:
    """The ``--json`` document: this run, the baseline and the per-row deltas, and the gate's findings."""
    doc: dict[str, Any] = {"current": current.model_dump(mode="json"), "gate": problems}
    if comparison is not None:
        doc["baseline"] = comparison.base.model_dump(mode="json")
        doc["tolerance"] = comparison.tolerance
        doc["deltas"] = [
            {
                "case": d.case,
                "stage": d.stage,
                "baseline": None if d.base is None else d.base.value,
                "current": None if d.current is None else d.current.value,
                "delta": d.delta,
            }
            for d in comparison.rows
        ]
        doc["stages"] = [
            {
                "stage": s.stage,
                "versions": s.versions(),
                "baseline": s.base_mean,
                "current": s.current_mean,
                "delta": s.delta,
                "regressions": s.regressions,
            }
            for s in comparison.stages
        ]
    return doc


def write_json(path: Path, doc: dict[str, Any]) -> None:
    from daily_report.report.atomic import atomic_write

    atomic_write(path, (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))


def render_html(current: EvalResult, comparison: Comparison | None, problems: list[str]) -> str:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"], default=True)
    )
    env.filters["money"] = money
    env.filters["signed"] = signed
    template = env.get_template("eval.html.j2")
    return template.render(
        current=current,
        comparison=comparison,
        problems=problems,
        stage_lines=stage_lines(current),
        summaries=_summaries(comparison),
        spent=spent_line(current.spent),
        scores_cell=_scores_cell,
        why=_why,
    )


def _summaries(comparison: Comparison | None) -> list[str]:
    if comparison is None:
        return []
    system = comparison.system_change()
    return ([system] if system else []) + [summary_line(s) for s in comparison.stages]


def write_html(path: Path, html: str) -> None:
    from daily_report.report.atomic import atomic_write

    atomic_write(path, html.encode("utf-8"))
