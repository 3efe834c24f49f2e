"""Past days are priced at their own prices: genai-prices' data has models whose price changed on a date
(o3 on 2025-06-10, claude-opus-4-6 on 2026-03-13)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from daily_report.core.pricing import Tokens, price, price_many
from daily_report.llm.costing import call_cost
from daily_report.llm.types import Usage
from daily_report.usage.aggregate import build_day, cost_of
from daily_report.usage.events import Ev

M = 1_000_000


def test_a_price_change_applies_from_its_date_only() -> None:
    june_1, june_20 = datetime(2025, 6, 1, tzinfo=UTC), datetime(2025, 6, 20, tzinfo=UTC)
    before = price(model="o3", provider="openai", input_tokens=M, output_tokens=M, when=june_1)
    after = price(model="o3", provider="openai", input_tokens=M, output_tokens=M, when=june_20)
    assert before is not None and after is not None and before > after  # o3 got cheaper on 2025-06-10
    many = price_many([Tokens(M, M)], model="o3", provider="openai", when=datetime(2025, 6, 1))
    assert many == before  # a naive time is UTC
    usage = Usage(input_tokens=M, output_tokens=M)
    old = datetime(2025, 6, 1, tzinfo=UTC)
    assert call_cost(provider="openai", model="o3", usage=usage, when=old) == before


def _opus(day: date) -> Ev:
    return Ev(
        agent="claude_code",
        model="claude-opus-4-6",
        timestamp=datetime.combine(day, datetime.min.time(), tzinfo=UTC).replace(hour=9),
        input_tokens=1_000_000,
        output_tokens=100_000,
        dedup_key=f"m-{day}",
        session_id="s",
        device="d",
    )


def test_each_usage_day_is_priced_at_that_day() -> None:
    days = (date(2026, 3, 10), date(2026, 3, 17))  # either side of claude-opus-4-6's price change
    reports = [build_day([_opus(d)], day=d, timezone="UTC") for d in days]
    costs = [r.agents["claude_code"].totals.cost_usd for r in reports]
    assert costs[0] is not None and costs[1] is not None and costs[0] != costs[1]
    for d, cost in zip(days, costs, strict=True):
        at_noon = datetime.combine(d, datetime.min.time(), tzinfo=UTC).replace(hour=12)
        _, session_cost = cost_of([_opus(d)], when=at_noon)
        assert session_cost is not None and float(session_cost) == cost
