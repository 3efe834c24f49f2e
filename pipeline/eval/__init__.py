"""`daily-report eval`: score stage prompts on fixture cases, compare with a baseline, gate CI (issue 5).

- ``cases``: load ``fixtures/cases/<case>/`` (case.toml, expect.yaml, reference/).
- ``scorers``: schema validity, must-mention recall, must-not violations, enum accuracy, count bounds.
- ``judge``: the optional LLM judge with the versioned rubric ``prompts/judge/vN.md``.
- ``runner``: every case through the engine and its cache; ``results``: rows, prompts, spend.
- ``compare``: baselines (prompts dir, git ref, stored results), deltas, the gate.
- ``render``: rich tables, JSON, HTML. ``evaluate``: the whole command as one function.
"""

from daily_report.eval.evaluate import EvalOutcome, evaluate
from daily_report.eval.results import EvalResult, Row
from daily_report.eval.runner import EvalSettings, run_eval
from daily_report.eval.scorers import Score

__all__ = ["EvalOutcome", "EvalResult", "EvalSettings", "Row", "Score", "evaluate", "run_eval"]
