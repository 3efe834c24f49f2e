"""Pricing reproduces the reference reports exactly; unknown models are None, never 0."""

from __future__ import annotations

from decimal import Decimal

from daily_report.core.pricing import Tokens, can_price, price, price_many
from daily_report.schemas.config import PriceOverride


def q(d: Decimal | None) -> str:
    assert d is not None
    return f"${d:.4f}"


def test_haiku_reference_figure() -> None:
    cost = price(
        model="claude-haiku-4-5-20251001",
        provider="anthropic",
        input_tokens=39_891,
        output_tokens=873,
        cache_write_tokens=447_836,
        cache_read_tokens=4_455_296,
    )
    assert q(cost) == "$1.0496"


def test_opus_reference_figure() -> None:
    cost = price(
        model="claude-opus-4-6",
        provider="anthropic",
        input_tokens=26,
        output_tokens=292,
        cache_write_tokens=66_244,
        cache_read_tokens=1_030_462,
    )
    assert q(cost) == "$0.9367"


def test_codex_reference_figure_cached_input_at_cached_rate() -> None:
    total_in, cached = 12_648_899, 12_095_872
    cost = price(
        model="gpt-5.3-codex",
        provider="openai",
        input_tokens=total_in - cached,
        output_tokens=64_857,  # includes 30,268 reasoning: never billed twice
        cache_read_tokens=cached,
    )
    assert q(cost) == "$3.9926"


def test_one_hour_writes_cost_more_than_five_minute_writes() -> None:
    five = price(
        model="claude-haiku-4-5",
        provider="anthropic",
        input_tokens=0,
        output_tokens=0,
        cache_write_tokens=1_000_000,
    )
    hour = price(
        model="claude-haiku-4-5",
        provider="anthropic",
        input_tokens=0,
        output_tokens=0,
        cache_write_tokens=1_000_000,
        cache_write_1h_tokens=1_000_000,
    )
    assert five == Decimal("1.25")
    assert hour == Decimal("2")


def test_unknown_model_is_none_not_zero() -> None:
    assert price(model="my-local-llama", provider="openai", input_tokens=10, output_tokens=10) is None
    assert price(model="my-local-llama", provider=None, input_tokens=10, output_tokens=10) is None
    assert price(model="<synthetic>", provider="anthropic", input_tokens=0, output_tokens=0) is None
    assert not can_price("my-local-llama", "openai")


def test_override_wins_and_prices_unknown_models() -> None:
    o = {"my-local-llama": PriceOverride(input=1.0, output=2.0, cache_read=0.5)}
    cost = price(
        model="my-local-llama",
        provider="openai",
        input_tokens=1_000_000,
        output_tokens=1_000_000,
        cache_read_tokens=2_000_000,
        overrides=o,
    )
    assert cost == Decimal("4")
    o2 = {"claude-opus-4-6": PriceOverride(input=0.0, output=1.0)}
    cost2 = price(
        model="claude-opus-4-6", provider="anthropic", input_tokens=5, output_tokens=1_000_000, overrides=o2
    )
    assert cost2 == Decimal("1")


def test_long_context_tier_applies_per_call_not_to_the_sum() -> None:
    small = Tokens(input=150_000, output=1_000)
    big = Tokens(input=250_000, output=1_000)
    model = "claude-sonnet-4-5-20250929"
    each = [
        price(model=model, provider="anthropic", input_tokens=t.input, output_tokens=t.output)
        for t in (small, small, big)
    ]
    assert all(c is not None for c in each)
    assert each[2] is not None and each[0] is not None
    # the big call is billed at the >200k rate ($6 in), the small ones at $3
    assert each[0] == Decimal("0.465")
    assert each[2] == Decimal("1.5225")
    many = price_many([small, small, big], model=model, provider="anthropic")
    assert many == sum(c for c in each if c is not None)


def test_batch_is_cheaper() -> None:
    normal = price(
        model="claude-haiku-4-5", provider="anthropic", input_tokens=1_000_000, output_tokens=1_000_000
    )
    batch = price(
        model="claude-haiku-4-5",
        provider="anthropic",
        input_tokens=1_000_000,
        output_tokens=1_000_000,
        batch=True,
    )
    assert normal == Decimal("6")
    assert batch == Decimal("3")


def test_tier_boundary_and_token_sums() -> None:
    model = "claude-sonnet-4-5-20250929"
    at, above = Tokens(input=200_000), Tokens(input=200_001)
    base = price_many([at], model=model, provider="anthropic")
    tier = price_many([above], model=model, provider="anthropic")
    assert base == Decimal("0.6")  # a prompt of exactly 200k is not above the tier start: $3/M
    assert tier == Decimal("1.200006")  # one token more: the whole call at $6/M
    assert price_many([at, above], model=model, provider="anthropic") == base + tier
    assert Tokens(1, 2, 3, 1, 5) + Tokens(1, 1, 1, 1, 1) == Tokens(2, 3, 4, 2, 6)
    assert Tokens(1, 2, 3, 1, 5).prompt == 9
    assert price_many([], model=model, provider="anthropic") == Decimal(0)


# ---------------------------------------------------------------- dated models priced at their family's price


def test_dated_model_missing_from_genai_prices_falls_back_to_its_family() -> None:
    from daily_report.core.pricing import priced_as

    tokens = {"input_tokens": 1_000_000, "output_tokens": 100_000, "cache_read_tokens": 2_000_000}
    dated = price(model="gpt-5-1-codex-2025-11-13", provider="openai", **tokens)
    family = price(model="gpt-5.1-codex", provider="openai", **tokens)
    assert dated is not None and dated > 0
    assert dated == family
    assert priced_as("gpt-5-1-codex-2025-11-13", "openai") == "gpt-5.1-codex"
    assert priced_as("gpt-5.1-codex-2025-11-13", "openai") == "gpt-5.1-codex"
    assert priced_as("gpt-5.1-codex", "openai") is None  # priced under its own name: no fallback to show
    assert priced_as("claude-haiku-4-5-20251001", "anthropic") is None  # genai-prices knows it already


def test_family_candidates_only_strip_a_date_and_change_dots_and_dashes() -> None:
    from daily_report.core.pricing import family_candidates

    assert family_candidates("gpt-5-1-codex-2025-11-13") == ["gpt-5.1-codex", "gpt-5-1-codex"]
    assert family_candidates("claude-sonnet-4-5-20250929") == ["claude-sonnet-4.5", "claude-sonnet-4-5"]
    assert family_candidates("gpt-5.1-codex") == []  # no date: nothing to fall back to
    assert family_candidates("my-model-v2") == []
    assert family_candidates("gpt-5-1-codex-2025-11") == []  # not a full date


def test_an_unknown_dated_model_stays_unknown() -> None:
    from daily_report.core.pricing import priced_as

    for model in ("totally-new-model-2025-11-13", "gpt-5-1-codex-max-turbo-20251113", "codex-2025-11-13"):
        assert price(model=model, provider="openai", input_tokens=10, output_tokens=10) is None, model
        assert not can_price(model, "openai")
        assert priced_as(model, "openai") is None


def test_usage_report_shows_the_family_fallback_as_a_note() -> None:
    from datetime import UTC, date, datetime

    from daily_report.schemas.transcript import UsageEvent
    from daily_report.usage.aggregate import build_day

    event = UsageEvent(
        agent="codex",
        model="gpt-5-1-codex-2025-11-13",
        timestamp=datetime(2026, 3, 10, 12, tzinfo=UTC),
        input_tokens=1_000_000,
        cached_input_tokens=400_000,
        output_tokens=50_000,
        device="DCC",
    )
    r = build_day([event], day=date(2026, 3, 10), timezone="UTC")
    assert r.unpriced_models == []
    assert r.total_cost_usd is not None and r.total_cost_usd > 0
    assert r.priced_as == {"gpt-5-1-codex-2025-11-13": "gpt-5.1-codex"}
    assert any("priced as gpt-5.1-codex" in n for n in r.notes)
    assert '"priced_as":{"gpt-5-1-codex-2025-11-13":"gpt-5.1-codex"}' in r.model_dump_json()
