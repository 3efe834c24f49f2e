"""Cost of one answer from the usage the provider returned. Unknown prices are None, never 0."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from daily_report.llm.factory import PROVIDERS
from daily_report.llm.types import Usage


def call_cost(
    *,
    provider: str,
    model: str,
    usage: Usage,
    batch: bool = False,
    overrides: Mapping[str, Any] | None = None,
    when: datetime | None = None,
) -> Decimal | None:
    """Price ``usage`` with ``daily_report.core.pricing.price`` at the prices of ``when``, the call time (None: now,
    for a call just made); a free provider's (replay) answers cost nothing."""
    spec = PROVIDERS.get(provider)
    if spec is not None and spec.free:
        return Decimal(0)
    from daily_report.core.pricing import price

    return price(
        model=model,
        provider=provider,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_write_tokens=usage.cache_write_tokens,
        cache_write_1h_tokens=usage.cache_write_1h_tokens,
        cache_read_tokens=usage.cache_read_tokens,
        batch=batch,
        overrides=overrides,
        when=when,
    )
