"""Prices of LLM usage in USD, from genai-prices' bundled snapshot (never the network).

One token partition everywhere (Anthropic's): ``input_tokens`` is the UNCACHED input;
``cache_write_tokens`` are all cache writes (5-minute plus 1-hour), ``cache_write_1h_tokens`` the 1-hour
subset of them; ``cache_read_tokens`` the cache hits. OpenAI-style usage (input including cached) is converted by the agent's adapter:
``input_tokens = input - cached``, ``cache_read_tokens = cached``. Reasoning is inside output and is never
billed twice. A model nobody can price gives ``None``, never 0. Config overrides (USD per million) win.

Prices change: a call is priced at the prices in force at ``when`` (the call time, or the usage day;
``None`` means now). ``price`` prices one call. ``price_many`` prices many calls of one model at once and is exact: calls are
grouped by the long-context tier their own prompt size falls in, and each group is priced with the tier
resolved, so summing never moves a call into a tier it did not reach.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Any, NamedTuple

from daily_report.schemas.config import PriceOverride
from genai_prices import Usage, data_snapshot
from genai_prices.types import ModelInfo, ModelPrice, TieredPrices

_MILLION = Decimal(1_000_000)


class Tokens(NamedTuple):
    """Token counts of one or more calls, Anthropic partition (see the module docstring). A tuple, as
    tens of thousands are made per report (a frozen dataclass costs twice as much to build)."""

    input: int = 0
    output: int = 0
    cache_write: int = 0
    cache_write_1h: int = 0
    cache_read: int = 0

    @property
    def prompt(self) -> int:
        """The whole prompt: what long-context tiers are measured against."""
        return self[0] + self[2] + self[4]  # input + cache_write + cache_read

    def __add__(self, other: tuple[Any, ...]) -> Tokens:  # sums, not concatenates
        return summed((self, Tokens(*other)))


def summed(calls: Iterable[Tokens]) -> Tokens:
    """The field-wise sum of many calls."""
    return Tokens(*map(sum, zip(*calls, strict=True)))  # no calls: no columns, Tokens()


def price(
    *,
    model: str,
    provider: str | None,
    input_tokens: int,
    output_tokens: int,
    cache_write_tokens: int = 0,
    cache_write_1h_tokens: int = 0,
    cache_read_tokens: int = 0,
    batch: bool = False,
    overrides: Mapping[str, PriceOverride] | None = None,
    when: datetime | None = None,
) -> Decimal | None:
    """USD cost of one call at the prices of ``when`` (None: now), or None when the model cannot be priced."""
    tokens = Tokens(input_tokens, output_tokens, cache_write_tokens, cache_write_1h_tokens, cache_read_tokens)
    return price_many([tokens], model=model, provider=provider, batch=batch, overrides=overrides, when=when)


def price_many(
    calls: Iterable[Tokens],
    *,
    model: str,
    provider: str | None,
    batch: bool = False,
    overrides: Mapping[str, PriceOverride] | None = None,
    when: datetime | None = None,
) -> Decimal | None:
    """USD cost of many calls of one model (exact, tier by tier) at the prices of ``when`` (None: now), or
    None when it cannot be priced."""
    calls = list(calls)
    if overrides and model in overrides:
        return _override_cost(summed(calls), overrides[model])
    model_price = _model_price(model, provider, batch, _instant(when))
    if model_price is None:
        return None
    starts = _tier_starts(model_price)
    if not starts:
        return _calc(model_price, summed(calls))
    buckets: dict[int, list[Tokens]] = {}
    for t in calls:
        buckets.setdefault(bisect_left(starts, t.prompt), []).append(t)  # how many starts lie below it
    total = Decimal(0)
    for b, group in buckets.items():
        # any prompt size inside bucket b resolves every tiered price the same way
        size = starts[b - 1] + 1 if b else 0
        total += _calc(_resolve_tiers(model_price, size), summed(group))
    return total


def can_price(model: str, provider: str | None, overrides: Mapping[str, PriceOverride] | None = None) -> bool:
    return bool(overrides and model in overrides) or _model_price(model, provider, False, None) is not None


def _instant(when: datetime | None) -> datetime | None:
    """``when`` in UTC to the minute (a small cache key); None stays None (now)."""
    if when is None:
        return None
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(second=0, microsecond=0)


def _calc(model_price: ModelPrice, t: Tokens) -> Decimal:
    usage = Usage(
        input_tokens=t.prompt,  # genai-prices wants the total input plus its cache partitions
        cache_write_tokens=t.cache_write,
        cache_write_1h_tokens=t.cache_write_1h,
        cache_read_tokens=t.cache_read,
        output_tokens=t.output,
    )
    return Decimal(model_price.calc_price(usage)["total_price"])


def _override_cost(t: Tokens, o: PriceOverride) -> Decimal:
    def d(x: float | None, fallback: Decimal) -> Decimal:
        return fallback if x is None else Decimal(str(x))

    inp = d(o.input, Decimal(0))
    write = d(o.cache_write, inp)  # unknown write rate: charge as plain input
    write_1h = d(o.cache_write_1h, write)
    read = d(o.cache_read, inp)  # unknown cached rate: charge as plain input (never cheaper than known)
    cost = (
        t.input * inp
        + (t.cache_write - t.cache_write_1h) * write
        + t.cache_write_1h * write_1h
        + t.cache_read * read
        + t.output * d(o.output, Decimal(0))
    )
    return cost / _MILLION


_DATE_SUFFIX = re.compile(r"-(?:\d{4}-\d{2}-\d{2}|\d{8})$")
_DASHED_VERSION = re.compile(r"(?<=\d)-(?=\d(?:\D|$))")


def _find(model: str, provider: str | None) -> ModelInfo | None:
    try:
        return data_snapshot.get_snapshot().find_provider_model(model, None, provider, None)[1]
    except LookupError:
        return None


def family_candidates(model: str) -> list[str]:
    """The names a dated model may be priced under: its date suffix (``-YYYY-MM-DD`` / ``-YYYYMMDD``)
    stripped, then spelled with version dots or with dashes only. Nothing else is changed, so an arbitrary
    name never matches a price by accident. An undated name has no candidates."""
    family = _DATE_SUFFIX.sub("", model)
    if family == model or not family:
        return []
    dotted = _DASHED_VERSION.sub(".", family)  # gpt-5-1-codex -> gpt-5.1-codex
    dashed = family.replace(".", "-")  # gpt-5.1-codex -> gpt-5-1-codex
    return list(dict.fromkeys([dotted, family, dashed]))


@cache
def _resolve(model: str, provider: str | None) -> tuple[ModelInfo, str] | None:
    """The price entry of ``model`` and the name it was found under (``model`` itself, or its family)."""
    info = _find(model, provider)
    if info is not None:
        return info, model
    for name in family_candidates(model):
        if (info := _find(name, provider)) is not None:
            return info, name
    return None


def _model_info(model: str, provider: str | None) -> ModelInfo | None:
    found = _resolve(model, provider)
    return None if found is None else found[0]


def priced_as(model: str, provider: str | None) -> str | None:
    """The family name a dated model is priced as (``gpt-5.1-codex`` for ``gpt-5-1-codex-2025-11-13``),
    or None when it is priced under its own name or not at all. Shown beside the cost, so the fallback
    is never silent."""
    found = _resolve(model, provider)
    return None if found is None or found[1] == model else found[1]


@cache
def _model_price(model: str, provider: str | None, batch: bool, when: datetime | None) -> ModelPrice | None:
    info = _model_info(model, provider)
    if info is None or model == "<synthetic>":
        return None
    context: Any = {"processing": "batch"} if batch else None
    return info.get_prices(when or datetime.now(tz=UTC), context)


def _tier_starts(mp: ModelPrice) -> list[int]:
    starts = {tier.start for v in vars(mp).values() if isinstance(v, TieredPrices) for tier in v.tiers}
    return sorted(starts)


def _resolve_tiers(mp: ModelPrice, prompt_size: int) -> ModelPrice:
    resolved: dict[str, Any] = {}
    for key, value in vars(mp).items():
        if isinstance(value, TieredPrices):
            chosen = value.base
            for tier in reversed(value.tiers):
                if prompt_size > tier.start:
                    chosen = tier.price
                    break
            resolved[key] = chosen
        else:
            resolved[key] = value
    return ModelPrice(**resolved)
