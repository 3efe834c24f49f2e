"""How much an item matters to a reader of the day's report: a deterministic score, higher first.

Critical and outcome-changing items come first (a blocker, a wrong root cause corrected, a secret exposed, a
result with its figures); routine noise sinks (a slow first compile, a lint fix). The score only orders and
selects: it never rewrites an item, and the same items always get the same scores.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from daily_report.schemas.report import (
    Provenance,
    ReportIssue,
    ReportLimitation,
    ReportTakeaway,
    ReportTask,
    ReportTopic,
)
from pydantic import BaseModel

_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NOISE = re.compile(
    r"\b(lint\w*|ruff|flake8|black|formatt\w*|typo\w*|whitespace|import order|docstring\w*|"
    r"(slow|first|initial) (first )?(compile|compilation|build)|cold start|warm-?up time|cache warm\w*)\b",
    re.I,
)
_OUTCOME = re.compile(
    r"\b(root cause|blocked|blocks|blocker|fix(ed)?|commit(ted)?|decid\w*|decision|chose|chosen|"
    r"wrong|incorrect|corrected|stopped|rejected|secret|leak\w*|credential\w*|rotat\w*|lost|deleted|"
    r"regress\w*|nan|oom|out of memory|crash\w*|fails?|failed|accuracy|success rate|mse|loss)\b",
    re.I,
)
_HUMAN_TURN = re.compile(
    r"\b(correct\w*|stopp?\w*|reject\w*|caught|spott\w*|question\w*|insist\w*|pointed out|"
    r"overrul\w*|redirect\w*|propos\w*|chose|decided)\b",
    re.I,
)
_ONLY_GOAL = re.compile(r"\bonly (stated|gave|set|described) the (goal|task)\b|\bno (further )?input\b", re.I)

STATUS_WEIGHT = {"blocked": 1.5, "in_progress": 0.5, "done": 0.0}
CRITICAL = 3.0
NOISE_PENALTY = 3.0


def _figures(text: str) -> float:
    """Specific items carry figures: up to 1 point for 4 or more."""
    return min(len(_NUMBER.findall(text)), 4) * 0.25


def _outcome(text: str) -> float:
    return min(len(_OUTCOME.findall(text)), 3) * 0.3


def _noise(title: str) -> float:
    return NOISE_PENALTY if _NOISE.search(title) else 0.0


def _spread(p: Provenance) -> float:
    """Said by several sessions or devices: it matters to more of the group."""
    return min(len(p.also_in), 2) * 0.75


def score(item: BaseModel, *, project_weight: Mapping[str, float], span: float = 0.0) -> float:
    """The item's importance. ``project_weight`` (0..1 per project, 1 = the day's main work) adds up to 1.5;
    ``span`` (0..1: the item's turn range against the longest of its session's items) up to 2, since the
    work that took most of a session is usually its goal and a one-turn step rarely is."""
    prov: Provenance = item.provenance  # type: ignore[attr-defined]
    base = _spread(prov) + 1.5 * project_weight.get(prov.project, 0.0) + 2.0 * span
    if isinstance(item, ReportTask):
        text = f"{item.title} {item.details}"
        base += STATUS_WEIGHT.get(item.status, 0.0) + (
            0.5 if item.category == "architecture_strategy" else 0.0
        )
        return base + _figures(text) + _outcome(item.details) - _noise(item.title)
    if isinstance(item, ReportIssue):
        text = f"{item.problem} {item.cause} {item.solution}"
        base += (CRITICAL if item.severity == "critical" else 0.0) + (0.0 if item.resolved else 1.0)
        # a critical issue is never noise, even when a formatter or linter was the gate that blocked the work
        noise = 0.0 if item.severity == "critical" else _noise(item.problem)
        return base + _figures(text) + _outcome(text) - noise
    if isinstance(item, ReportTopic):
        base += 1.0 if item.level == "strategic" else 0.0
        base += 1.5 if _HUMAN_TURN.search(item.human) else 0.0
        return base - (NOISE_PENALTY if _ONLY_GOAL.search(item.human) else 0.0) + _outcome(item.analysis)
    if isinstance(item, ReportLimitation):
        base += CRITICAL if item.severity == "critical" else 0.0
        return base + _outcome(item.limitation) - _noise(item.limitation)
    if isinstance(item, ReportTakeaway):
        base += 0.5 if item.kind == "core" else 0.0
        return base + _figures(item.text) + _outcome(item.text) * 0.5 - _noise(item.text)
    return base
