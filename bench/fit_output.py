"""Fit each stage's ``OutputSize`` (expected answer tokens = base + per_1k x tokens read / 1,000) on real answers.

Points come from two places:
- the fixture day's reference answers (``fixtures/replay/<stage>/<session>/chunk-N.json``, chunk stages only),
  each read = the o200k tokens of its chunk's transcript block as the fixture day is planned;
- answer-by-hand rounds (``--rounds DIR``, repeatable; see ../shared/tools/answer-by-hand): every exported
  OpenAI-format request (``DIR/*.jsonl`` except results) with an answer in ``DIR/answers/<custom_id>.json``
  (one tool's arguments, or ``{tool: arguments}`` for a bundled chunk request), read = the user turn up to
  its last closing tag (the transcript block or the notes; the stage's instructions follow it).

Answer tokens are the o200k tokens of the answer's compact JSON. Prints per stage: the points, the fitted line,
its mean absolute error, and the same error for the constants in the code now.

    .venv/bin/python bench/fit_output.py --rounds /work/abh --rounds /work/abh3 [--stage human_ai]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from daily_report.stages.base import transcript_block
from daily_report.stages.registry import STAGES
from daily_report.text.tokens import count_tokens

Point = tuple[str, int, int, str]  # stage, read tokens, answer tokens, where from
SCHEMA_STAGE = {"SessionReduceOutput": "session", "ProjectSummary": "projects", "OverviewOutput": "overview"}


def answer_tokens(answer: object) -> int:
    return count_tokens(json.dumps(answer, ensure_ascii=False, separators=(",", ":")))


def replay_points() -> list[Point]:
    from fixtures.plan_day import plan

    replay = HERE.parent / "fixtures" / "replay"
    points: list[Point] = []
    for chunk in plan().chunks:
        read = count_tokens(transcript_block(chunk))
        for stage in ("facts", "tasks", "issues", "human_ai", "takeaways"):
            path = replay / stage / chunk.session_id / f"chunk-{chunk.index}.json"
            if path.is_file():
                points.append((stage, read, answer_tokens(json.loads(path.read_text())), "fixture"))
    return points


def _user_text(body: dict) -> str:
    for message in body["messages"]:
        if message["role"] == "user":
            content = message["content"]
            return content if isinstance(content, str) else "\n".join(p.get("text", "") for p in content)
    return ""


def round_points(folder: Path) -> list[Point]:
    requests: dict[str, dict] = {}
    for path in folder.glob("*.jsonl"):
        if "result" in path.name:
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and "body" in (q := json.loads(line)):
                requests[q["custom_id"]] = q["body"]
    points: list[Point] = []
    for path in sorted((folder / "answers").glob("*.json")):
        body = requests.get(path.stem)
        if body is None:
            continue
        text = _user_text(body)
        read = count_tokens(text[: text.rfind("</") + text[text.rfind("</") :].find(">") + 1])
        answer = json.loads(path.read_text(encoding="utf-8"))
        choice = body.get("tool_choice")
        if isinstance(choice, dict):
            answers = {choice["function"]["name"]: answer}
        elif body.get("tools"):
            answers = answer
        else:
            answers = {SCHEMA_STAGE.get(body["response_format"]["json_schema"].get("name", ""), "?"): answer}
        points += [(stage, read, answer_tokens(a), folder.name) for stage, a in answers.items()]
    return points


def fit(points: list[tuple[int, int]]) -> tuple[float, float]:
    """Least squares of answer on read (per 1,000 tokens); a flat mean when every read is the same."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return my, 0.0
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx
    base = my - slope * mx
    if slope < 0:  # a longer read does not shorten the answer: the data cannot tell, so a flat mean
        return my, 0.0
    if base < 0:  # no negative answers for small reads: through the origin instead
        slope = sum(x * y for x, y in points) / sum(x * x for x, _ in points)
        base = 0.0
    return base, slope * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=Path, action="append", default=[])
    ap.add_argument("--stage", action="append", help="only these stages")
    args = ap.parse_args()
    points = replay_points()
    for folder in args.rounds:
        points += round_points(folder)
    by_stage: dict[str, list[Point]] = defaultdict(list)
    for p in points:
        by_stage[p[0]].append(p)
    print(
        "stage       n  reads (min-max)   mean answer   fit base  per_1k  mean abs err   code now: base per_1k err"
    )
    for stage in STAGES:
        if (args.stage and stage not in args.stage) or stage not in by_stage:
            continue
        pts = by_stage[stage]
        xy = [(r, a) for _, r, a, _ in pts]
        base, per_1k = fit(xy)
        err = sum(abs(base + per_1k * r / 1000 - a) for r, a in xy) / len(xy)
        now = STAGES[stage].output_size
        err_now = sum(abs(now.tokens(r) - a) for r, a in xy) / len(xy)
        mean = sum(a for _, a in xy) / len(xy)
        lo, hi = min(r for r, _ in xy), max(r for r, _ in xy)
        print(
            f"{stage:<10} {len(xy):>2}  {lo:>6}-{hi:<7}  {mean:>10.0f}   {base:>8.0f}  {per_1k:>6.2f}  {err:>8.0f}"
            f" ({err / mean:.0%})   {now.base:>6.0f} {now.per_1k:>6.2f} {err_now:>5.0f}"
        )


if __name__ == "__main__":
    main()
