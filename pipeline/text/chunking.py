"""Split a condensed session into chunks within a token budget, only at turn boundaries.

- A tool call and its result are one turn, so they are never separated.
- A single turn longer than a chunk's room is cut in the middle with ``[… turn cut: N tokens omitted …]``.
- Chunks are balanced: the same number of chunks as greedy packing needs, but with the largest chunk as
  small as possible, so there is no tiny last chunk.
- Each chunk after the first carries a digest of the earlier chunks (every human prompt so far, shortened;
  the tests, commits and still-open errors so far; the last assistant reply), within ``digest_tokens``
  (``daily_report.text.digest.DIGEST_TOKENS`` = 400 by default), reserved in every chunk after the first.
- ``Chunk.tokens`` is the o200k count of text plus digest and never exceeds ``budget_tokens``.

Everything here is a pure function of its input: the same session gives byte-identical chunks, which is
what lets the LLM response cache hit on a re-run.
"""

from __future__ import annotations

from collections.abc import Sequence

from daily_report.core.errors import ConfigError
from daily_report.schemas.chunk import Chunk
from daily_report.schemas.transcript import Session
from daily_report.text.condense import CondensedTurn, cut_tokens
from daily_report.text.digest import DIGEST_TOKENS, build_digest
from daily_report.text.tokens import count_tokens

SEPARATOR = "\n"
MIN_BUDGET = 200


def _room(index: int, *, budget: int, digest_tokens: int) -> int:
    return budget if index == 0 else budget - digest_tokens


def _fit(turns: Sequence[CondensedTurn], *, budget: int, digest_tokens: int) -> list[CondensedTurn]:
    """Cut every turn that could not fit even alone in a chunk after the first."""
    room = budget - digest_tokens - 1
    out = []
    for t in turns:
        if t.tokens > room:
            text = cut_tokens(t.text, room)
            t = CondensedTurn(
                index=t.index, text=text, tokens=count_tokens(text), timestamp=t.timestamp, role=t.role
            )
        out.append(t)
    return out


def _pack(
    turns: Sequence[CondensedTurn], *, cap: int, budget: int, digest_tokens: int
) -> list[list[CondensedTurn]]:
    """Greedy packing where chunk i holds at most min(cap, room(i)) tokens (+1 per separator)."""
    groups: list[list[CondensedTurn]] = []
    current: list[CondensedTurn] = []
    used = 0
    for t in turns:
        limit = min(cap, _room(len(groups), budget=budget, digest_tokens=digest_tokens))
        cost = t.tokens + (1 if current else 0)
        if current and used + cost > limit:
            groups.append(current)
            current, used, cost = [], 0, t.tokens
        current.append(t)
        used += cost
    if current:
        groups.append(current)
    return groups


def _balanced(
    turns: Sequence[CondensedTurn], *, budget: int, digest_tokens: int
) -> list[list[CondensedTurn]]:
    """As many chunks as greedy packing gives, with the smallest largest chunk (binary search on the cap)."""
    greedy = _pack(turns, cap=budget, budget=budget, digest_tokens=digest_tokens)
    if len(greedy) <= 1:
        return greedy
    lo = max(max(t.tokens for t in turns), sum(t.tokens for t in turns) // len(greedy))
    hi = budget
    best = greedy
    while lo < hi:
        mid = (lo + hi) // 2
        trial = _pack(turns, cap=mid, budget=budget, digest_tokens=digest_tokens)
        if len(trial) <= len(greedy):
            best, hi = trial, mid
        else:
            lo = mid + 1
    return best


def chunk_session(
    session: Session,
    turns: list[CondensedTurn],
    *,
    budget_tokens: int,
    digest_tokens: int = DIGEST_TOKENS,
) -> list[Chunk]:
    """``turns`` (from condense_session) as Chunks of at most ``budget_tokens`` o200k tokens each."""
    if budget_tokens < MIN_BUDGET or digest_tokens * 2 > budget_tokens:
        raise ConfigError(
            f"chunk budget {budget_tokens} tokens with a {digest_tokens}-token digest is too small; "
            f"use budget_tokens >= {MIN_BUDGET} and at least twice the digest (chunk.budget_tokens in the config)"
        )
    if not turns:
        return []
    fitted = _fit(turns, budget=budget_tokens, digest_tokens=digest_tokens)
    groups = _balanced(fitted, budget=budget_tokens, digest_tokens=digest_tokens)
    groups = _enforce_budget(groups, budget=budget_tokens, digest_tokens=digest_tokens)
    chunks: list[Chunk] = []
    done: list[CondensedTurn] = []
    for i, group in enumerate(groups):
        text = SEPARATOR.join(t.text for t in group)
        digest = build_digest(done, max_tokens=digest_tokens) if i else ""
        chunks.append(
            Chunk(
                session_id=session.id,
                device=session.device,
                agent=session.agent,
                project=session.project,
                index=i,
                count=len(groups),
                turn_start=group[0].index,
                turn_end=group[-1].index,
                text=text,
                digest=digest,
                tokens=count_tokens(text) + count_tokens(digest),
            )
        )
        done.extend(group)
    return chunks


def _enforce_budget(
    groups: list[list[CondensedTurn]], *, budget: int, digest_tokens: int
) -> list[list[CondensedTurn]]:
    """Re-check each group with a real count of its joined text; move the last turn on when it is over."""
    out: list[list[CondensedTurn]] = []
    pending = [list(g) for g in groups]
    while pending:
        group = pending.pop(0)
        room = _room(len(out), budget=budget, digest_tokens=digest_tokens)
        while len(group) > 1 and count_tokens(SEPARATOR.join(t.text for t in group)) > room:
            moved = group.pop()
            if pending:
                pending[0].insert(0, moved)
            else:
                pending.append([moved])
        out.append(group)
    return out
