"""One day's Token Usage section from deduped events: the reference-report figures, shares, devices."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import orjson
from daily_report.schemas.transcript import UsageEvent
from daily_report.sources.claude.adapter import SUBAGENT_NOTE
from daily_report.usage.aggregate import bucket_by_day, build_day

T = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def claude(
    model: str,
    inp: int,
    out: int,
    cw: int,
    cr: int,
    *,
    device: str = "DCC",
    side: bool = False,
    cw1h: int = 0,
) -> UsageEvent:
    return UsageEvent(
        agent="claude_code",
        model=model,
        timestamp=T,
        input_tokens=inp,
        output_tokens=out,
        cache_write_5m_tokens=cw - cw1h,
        cache_write_1h_tokens=cw1h,
        cache_read_tokens=cr,
        device=device,
        is_sidechain=side,
    )


def reference_000() -> list[UsageEvent]:
    # the haiku day split over two devices and two responses; the sums are the reference figures
    return [
        claude("claude-haiku-4-5-20251001", 39_000, 800, 400_000, 4_000_000, device="DCC"),
        claude("claude-haiku-4-5-20251001", 891, 73, 47_836, 455_296, device="tianhe"),
        claude("claude-opus-4-6", 26, 292, 66_244, 1_030_462, device="tianhe"),
    ]


# The reference's per-model sums are single events here: priced on a day after claude-opus-4-6's price
# change of 2026-03-13 (flat since; before it, one 1M-token event would fall in the >200k tier, which the
# reference's many small calls never reached). A day is priced at its own date (test_consistency_pricing).
FLAT_DAY = date(2026, 3, 17)


def test_reference_report_000_figures() -> None:
    r = build_day(reference_000(), day=FLAT_DAY, timezone="UTC", device_order=["tianhe", "DCC"])
    cc = r.agents["claude_code"]
    haiku, opus = cc.models["claude-haiku-4-5-20251001"], cc.models["claude-opus-4-6"]
    assert (
        haiku.count("input_tokens"),
        haiku.count("output_tokens"),
        haiku.count("cache_creation_tokens"),
        haiku.count("cache_read_tokens"),
    ) == (39_891, 873, 447_836, 4_455_296)
    assert f"${haiku.cost_usd:.4f}" == "$1.0496"
    assert f"${opus.cost_usd:.4f}" == "$0.9367"
    assert f"{haiku.cost_share:.1%}" == "52.8%" and f"{opus.cost_share:.1%}" == "47.2%"
    assert list(cc.models) == ["claude-haiku-4-5-20251001", "claude-opus-4-6"]  # biggest cost first
    t = cc.totals
    assert t.total_tokens == 6_040_920
    assert (
        t.count("input_tokens"),
        t.count("output_tokens"),
        t.count("cache_creation_tokens"),
        t.count("cache_read_tokens"),
    ) == (
        39_917,
        1_165,
        514_080,
        5_485_758,
    )
    assert f"{t.rates['cache_hit_rate']:.1%}" == "91.4%"
    assert f"${t.cost_usd:.4f}" == "$1.9863" and f"${r.total_cost_usd:.4f}" == "$1.9863"
    assert list(cc.devices) == ["tianhe", "DCC"]  # config order
    assert cc.devices["DCC"].total_tokens == 39_000 + 800 + 400_000 + 4_000_000
    dev_sum = sum(d.cost_usd or 0 for d in cc.devices.values())
    assert abs(dev_sum - (t.cost_usd or 0)) < 1e-9
    assert r.unpriced_models == [] and SUBAGENT_NOTE not in r.notes


def test_codex_reference_figures_and_json_shape() -> None:
    e = UsageEvent(
        agent="codex",
        model="gpt-5.3-codex",
        timestamp=T,
        input_tokens=12_648_899,
        cached_input_tokens=12_095_872,
        output_tokens=64_857,
        reasoning_tokens=30_268,
        device="DCC",
    )
    r = build_day([e], day=date(2026, 3, 10), timezone="UTC")
    data = orjson.loads(r.model_dump_json())
    row = data["agents"]["codex"]["models"]["gpt-5.3-codex"]
    assert row["total_tokens"] == 12_713_756
    assert round(row["cost_usd"], 4) == 3.9926 and row["cost_share"] == 1.0
    assert data["agents"]["codex"]["totals"]["reasoning_tokens"] == 30_268
    assert set(data) >= {"date", "timezone", "agents", "total_cost_usd", "unpriced_models", "skipped_lines"}
    assert data["agents"]["claude_code"]["totals"]["cache_hit_rate"] is None


def test_unpriced_model_is_null_and_totals_cover_priced_parts() -> None:
    evs = [*reference_000(), claude("corp-gateway-model", 10, 10, 0, 0, device="DCC")]
    r = build_day(evs, day=FLAT_DAY, timezone="UTC")
    cc = r.agents["claude_code"]
    assert cc.models["corp-gateway-model"].cost_usd is None
    assert cc.models["corp-gateway-model"].cost_share is None
    assert r.unpriced_models == ["corp-gateway-model"]
    assert f"${cc.totals.cost_usd:.4f}" == "$1.9863"
    assert any("corp-gateway-model" in n and "lower bound" in n for n in r.notes)
    only = build_day([claude("corp-gateway-model", 10, 10, 0, 0)], day=date(2026, 3, 10), timezone="UTC")
    assert only.total_cost_usd is None and only.agents["claude_code"].totals.cost_usd is None


def test_one_hour_writes_priced_separately_and_subagent_note() -> None:
    five = build_day([claude("claude-haiku-4-5", 0, 0, 1_000_000, 0)], day=date(2026, 3, 10), timezone="UTC")
    hour = build_day(
        [claude("claude-haiku-4-5", 0, 0, 1_000_000, 0, cw1h=1_000_000, side=True)],
        day=date(2026, 3, 10),
        timezone="UTC",
    )
    assert five.total_cost_usd == 1.25 and hour.total_cost_usd == 2.0
    assert hour.agents["claude_code"].totals.count("cache_creation_1h_tokens") == 1_000_000
    assert SUBAGENT_NOTE in hour.notes


def test_day_buckets_follow_the_zone() -> None:
    late = UsageEvent(agent="claude_code", model="m", timestamp=datetime(2026, 3, 10, 20, 30, tzinfo=UTC))
    assert list(bucket_by_day([late], ZoneInfo("UTC"))) == [date(2026, 3, 10)]
    assert list(bucket_by_day([late], ZoneInfo("Asia/Shanghai"))) == [date(2026, 3, 11)]
    assert list(bucket_by_day([late], ZoneInfo("America/New_York"))) == [date(2026, 3, 10)]
