"""The ledger as a table for `daily-report cost`: one row per (stage, model) plus a total.

A row counts calls sent, cache hits and errored attempts separately, adds up tokens, and sums cost; a cost
is None ("unknown") as soon as any part of it could not be priced, never 0.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

COUNTS = (
    "calls",
    "cache_hits",
    "errors",
    "input_tokens",
    "output_tokens",
    "cache_write_tokens",
    "cache_read_tokens",
)


def cost_rows(ledger_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Ledger rows -> one row per (stage, model) plus a total; a cost is None when any part is unknown."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    total: dict[str, Any] = {
        "stage": "total",
        "model": "",
        **dict.fromkeys(COUNTS, 0),
        "cost_usd": Decimal(0),
    }
    for row in ledger_rows:
        g = groups.setdefault(
            (row["stage"], row["model"]),
            {
                "stage": row["stage"],
                "model": row["model"],
                **dict.fromkeys(COUNTS, 0),
                "cost_usd": Decimal(0),
            },
        )
        for target in (g, total):
            _add_row(target, row)
    rows = [groups[k] for k in sorted(groups)] + [total]
    return [{**r, "cost_usd": None if r["cost_usd"] is None else float(r["cost_usd"])} for r in rows]


def _add_row(target: dict[str, Any], row: dict[str, Any]) -> None:
    if row["error"]:
        target["errors"] += 1
    elif row["cache_hit"]:
        target["cache_hits"] += 1
    else:
        target["calls"] += 1
    for k in ("input_tokens", "output_tokens", "cache_write_tokens", "cache_read_tokens"):
        target[k] += int(row[k] or 0)
    if target["cost_usd"] is not None:
        target["cost_usd"] = None if row["cost_usd"] is None else target["cost_usd"] + row["cost_usd"]
