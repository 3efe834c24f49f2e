"""The ledger: one row per attempt (and per cache hit), in the same SQLite file as the cache."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from daily_report.core import log
from daily_report.llm.cache import Cache
from daily_report.llm.costing import call_cost
from daily_report.llm.db import Database
from daily_report.llm.structured import Attempt
from daily_report.llm.types import LLMRequest, LLMResponse, Usage
from daily_report.schemas.report import Failure, Generation, StageGeneration

_TOKENS = ("input_tokens", "output_tokens", "cache_write_tokens", "cache_read_tokens")
KINDS = ("run", "eval", "demo")
"""What a ledger row was spent for: a report run, an eval, the demo. ``cost`` shows "run" by default."""


def _migrate(db: Database) -> None:
    """Ledgers made before rows had a ``kind`` get the column (old rows count as "run")."""
    import sqlite3

    if any(r["name"] == "kind" for r in db.query("PRAGMA table_info(ledger)")):
        return
    try:
        with db.tx() as conn:
            conn.execute("ALTER TABLE ledger ADD COLUMN kind TEXT NOT NULL DEFAULT 'run'")
    except sqlite3.OperationalError as exc:  # another process added it first
        if "duplicate column" not in str(exc):
            raise


class Ledger:
    """Rows of calls: what each attempt used and cost. Unknown prices are stored as NULL."""

    def __init__(
        self,
        path: Path | str | None = None,
        *,
        db: Database | None = None,
        price_overrides: Mapping[str, Any] | None = None,
        kind: str = "run",
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"ledger kind {kind!r}: use one of {', '.join(KINDS)}")
        self.db = db or Database(path)
        self.price_overrides = price_overrides
        self.kind = kind
        _migrate(self.db)

    @classmethod
    def beside(
        cls, cache: Cache, *, price_overrides: Mapping[str, Any] | None = None, kind: str | None = None
    ) -> Ledger:
        """A ledger sharing the cache's connection. Its rows' kind is ``kind``, else the one the cache's
        owner set (``cache.ledger_kind``: the eval marks its cache "eval"), else "run"."""
        kind = kind or getattr(cache, "ledger_kind", None) or "run"
        return cls(db=cache.db, price_overrides=price_overrides, kind=kind)

    def record(
        self,
        *,
        run_id: str,
        request: LLMRequest,
        response: LLMResponse | None = None,
        error: str | None = None,
        attempt: int,
        cache_hit: bool,
        latency_s: float,
        batch: bool = False,
        usage: Usage | None = None,
        model: str | None = None,
        date: str | None = None,
    ) -> None:
        """One row. ``usage`` defaults to the response's (zero for a cache hit: nothing was spent)."""
        if usage is None:
            usage = response.usage if response is not None and not cache_hit else Usage()
        model = model or (response.model if response is not None else request.model)
        cost = (
            Decimal(0)  # a cache hit spent nothing: no need to price it
            if cache_hit
            else call_cost(
                provider=request.provider,
                model=model,
                usage=usage,
                batch=batch,
                overrides=self.price_overrides,
            )
        )
        with self.db.tx() as conn:
            conn.execute(
                "INSERT INTO ledger (ts, run_id, date, stage, prompt_version, label, session_id, chunk_index,"
                " provider, model, input_tokens, output_tokens, cache_write_tokens, cache_read_tokens,"
                " cost_usd, priced, latency_s, attempt, cache_hit, batch, error, request_key, kind)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    time.time(),
                    run_id,
                    date,
                    request.stage,
                    request.prompt_version,
                    request.label,
                    request.session_id,
                    request.chunk_index,
                    request.provider,
                    model,
                    usage.input_tokens,
                    usage.output_tokens,
                    usage.cache_write_tokens,
                    usage.cache_read_tokens,
                    None if cost is None else str(cost),
                    int(cost is not None),
                    latency_s,
                    attempt,
                    int(cache_hit),
                    int(batch),
                    error,
                    request.key(),
                    self.kind,
                ),
            )

    def record_attempt(self, attempt: Attempt, *, run_id: str, date: str | None = None) -> None:
        """The ``on_attempt`` callback of ``call_structured``: ``lambda a: ledger.record_attempt(a, ...)``."""
        self.record(
            run_id=run_id,
            request=attempt.request,
            response=attempt.response,
            error=attempt.error,
            attempt=attempt.attempt,
            cache_hit=False,
            latency_s=attempt.latency_s,
            usage=attempt.usage,
            model=attempt.model,
            date=date,
        )

    def rows(
        self, date: str | None = None, *, run_id: str | None = None, kinds: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        """Ledger rows (oldest first) for the ``cost`` command; ``cost_usd`` is a Decimal or None.
        ``kinds`` limits them to rows of those kinds (None: every kind)."""
        clauses: list[str] = []
        params: list[Any] = []
        if kinds is not None:
            clauses.append(f"kind IN ({','.join('?' * len(kinds))})")
            params += list(kinds)
        if date is not None:
            clauses.append("date = ?")
            params.append(date)
        if run_id is not None:
            clauses.append("run_id = ?")
            params.append(run_id)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        out = []
        for row in self.db.query(f"SELECT * FROM ledger{where} ORDER BY id", params):
            d = dict(row)
            d["cost_usd"] = None if d["cost_usd"] is None else Decimal(d["cost_usd"])
            d["cache_hit"], d["batch"] = bool(d["cache_hit"]), bool(d["batch"])
            out.append(d)
        return out

    def summary(self, run_id: str) -> Generation:
        """What one run cost, for ``report.json``'s ``generation``."""
        rows = self.rows(run_id=run_id)
        unpriced = sorted({r["model"] for r in rows if r["cost_usd"] is None})
        if unpriced:
            log.warn(
                f"cost unknown: no price for {', '.join(unpriced)}; add them under [prices] in the config"
            )
        return summarize(rows, run_id=run_id)


def summarize(rows: list[dict[str, Any]], *, run_id: str = "") -> Generation:
    """Ledger rows -> Generation. Tokens and cost count every attempt (failed ones are real cost); a call
    is a request answered (sent or cached); a failure is a request whose every row is an error. A cost is
    None when any of its rows could not be priced."""
    gen = Generation(run_id=run_id)
    costs: dict[str, Decimal | None] = {}
    by_request: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        name = row["stage"]
        stage = gen.by_stage.setdefault(name, StageGeneration(prompt_version=row["prompt_version"]))
        _add_tokens(gen, stage, row)
        before = costs.get(name, Decimal(0))
        costs[name] = None if before is None or row["cost_usd"] is None else before + row["cost_usd"]
        if row["error"] is None:
            gen.calls += 1
            stage.calls += 1
            gen.cache_hits += int(row["cache_hit"])
            stage.cache_hits += int(row["cache_hit"])
        by_request.setdefault((name, row["request_key"]), []).append(row)
        gen.provider = gen.provider or row["provider"]
        gen.model = gen.model or row["model"]
    for name, cost in costs.items():
        gen.by_stage[name].cost_usd = None if cost is None else float(cost)
    gen.cost_usd = None if None in costs.values() else float(sum(c for c in costs.values() if c is not None))
    for (name, _key), attempts in by_request.items():
        if all(r["error"] for r in attempts):
            gen.by_stage[name].failures += 1
            gen.failures.append(_failure(name, attempts))
    return gen


def _failure(stage: str, attempts: list[dict[str, Any]]) -> Failure:
    last = attempts[-1]
    return Failure(
        stage=stage,
        label=last["label"] or "",
        session_id=last["session_id"],
        chunk_index=last["chunk_index"],
        error=last["error"],
        attempts=max(r["attempt"] for r in attempts),
    )


def _add_tokens(gen: Generation, stage: StageGeneration, row: Mapping[str, Any]) -> None:
    for name in _TOKENS:
        value = int(row[name] or 0)
        setattr(gen, name, getattr(gen, name) + value)
        setattr(stage, name, getattr(stage, name) + value)
