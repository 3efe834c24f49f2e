"""One ``daily-report eval``: the baseline side (when there is one), this side, the comparison, the gate.

Both sides run through the engine and one cache, so a baseline whose prompts are unchanged costs nothing
and a changed stage re-sends only its own requests (and the day stages reading its output).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from daily_report.core import log
from daily_report.core.paths import PROMPTS_DIR
from daily_report.eval.compare import (
    DEFAULT_TOLERANCE,
    Baseline,
    Comparison,
    compare,
    gate,
    resolve_baseline,
    stored_baseline_path,
)
from daily_report.eval.results import EvalResult
from daily_report.eval.runner import EvalSettings, run_eval


@dataclass
class EvalOutcome:
    current: EvalResult
    baseline: EvalResult | None
    comparison: Comparison | None
    problems: list[str]
    accepted: Path | None = None
    baseline_ran: bool = False  # False for a stored baseline (its spend is from when it was stored)

    @property
    def exit_code(self) -> int:
        """0 when the gate found nothing, 1 otherwise (CI fails on it)."""
        return 1 if self.problems else 0


def evaluate(
    settings: EvalSettings,
    *,
    prompts_dir: Path | None = None,
    baseline: str | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    fail_under: float | None = None,
    accept: bool = False,
) -> EvalOutcome:
    """Run the cases with ``prompts_dir`` (default: the repo's prompts/) and compare with the baseline."""
    prompts = prompts_dir or PROMPTS_DIR
    with resolve_baseline(baseline, cases_dir=settings.cases_dir) as base:
        base_result = _baseline_side(base, settings)
        current = run_eval(settings, prompts_dir=prompts, label=_label(prompts))
    ran = base is not None and base.prompts_dir is not None
    comparison = compare(base_result, current, tolerance=tolerance) if base_result is not None else None
    if base_result is not None and (base_result.provider, base_result.model) != (
        current.provider,
        current.model,
    ):
        log.warn(
            f"the baseline ran on {base_result.provider} {base_result.model}, this run on "
            f"{current.provider} {current.model}: deltas mix prompt and model changes"
        )
    problems = gate(current, comparison, fail_under=fail_under)
    accepted = None
    if accept:
        accepted = stored_baseline_path(settings.cases_dir)
        current.write(accepted)
    return EvalOutcome(current, base_result, comparison, problems, accepted, baseline_ran=ran)


def _baseline_side(base: Baseline | None, settings: EvalSettings) -> EvalResult | None:
    if base is None:
        return None
    if base.stored is not None:
        return base.stored
    assert base.prompts_dir is not None
    return run_eval(settings, prompts_dir=base.prompts_dir, label=base.label)


def _label(prompts: Path) -> str:
    try:
        return str(prompts.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(prompts)
