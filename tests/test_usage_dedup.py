"""The global dedup rule (transcript-formats.md §1.11, §2.8) on hand-made events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from daily_report.schemas.transcript import SkippedLines, UsageEvent
from daily_report.sources.types import FileUsage
from daily_report.usage.aggregate import cost_of
from daily_report.usage.dedup import dedup_events
from daily_report.usage.events import FIELDS, Ev, from_event
from daily_report.usage.index import decode, encode, reduce_file

T0 = datetime(2026, 2, 12, 23, 59, 59, tzinfo=UTC)


def ev(
    key: str | None,
    *,
    out: int = 1,
    cr: int = 100,
    model: str = "claude-opus-4-6",
    dt: float = 0,
    device: str = "A",
    side: bool = False,
    agent: str = "claude_code",
    **kw: int,
) -> UsageEvent:
    return UsageEvent(
        agent=agent,
        model=model,
        timestamp=T0 + timedelta(seconds=dt),
        input_tokens=kw.get("inp", 3),
        output_tokens=out,
        cache_read_tokens=cr,
        cache_write_5m_tokens=kw.get("cw", 0),
        cached_input_tokens=kw.get("cached", 0),
        dedup_key=key,
        is_sidechain=side,
        device=device,
        session_id=f"s-{device}",
        source_path=f"/{device}/f.jsonl",
    )


def test_streaming_lines_keep_largest_whole_line_at_first_timestamp() -> None:
    lines = [
        ev("m1:r1", out=1),
        ev("m1:r1", out=5, dt=2),
        ev("m1:r1", out=300, dt=3, model="claude-haiku-4-5"),
    ]
    kept = dedup_events(lines)
    assert len(kept) == 1
    assert kept[0].output_tokens == 300
    assert kept[0].model == "claude-haiku-4-5"  # the kept line's model, not a per-field mix
    assert kept[0].timestamp == T0  # first line's time: the response stays on 02-12


def test_tie_keeps_later_line() -> None:
    a = ev("m1:r1", out=5, model="claude-opus-4-6")
    b = ev("m1:r1", out=5, model="claude-haiku-4-5", dt=1)
    assert dedup_events([a, b])[0].model == "claude-haiku-4-5"


def test_key_across_devices_counts_once_on_first_device() -> None:
    a = [ev("m1:r1", out=10, device="DCC"), ev("m2:r2", device="DCC")]
    b = [ev("m1:r1", out=10, device="tianhe"), ev("m3:r3", device="tianhe")]
    kept = dedup_events(a + b)
    assert [e.dedup_key for e in kept] == ["m1:r1", "m2:r2", "m3:r3"]
    assert kept[0].device == "DCC"


def test_btw_sidechain_replay_dropped_when_main_copy_exists() -> None:
    main = ev("m1:r1", out=50)
    replay = ev("m1:rX", out=50, side=True, dt=60)  # same message.id, other requestId
    own = ev("m9:r9", out=7, side=True)  # a real subagent response
    kept = dedup_events([replay, main, own])
    assert {e.dedup_key for e in kept} == {"m1:r1", "m9:r9"}


def test_non_sidechain_line_preferred_within_a_key() -> None:
    side = ev("m1:r1", out=99, side=True)
    main = ev("m1:r1", out=10)
    kept = dedup_events([side, main])
    assert len(kept) == 1 and not kept[0].is_sidechain and kept[0].output_tokens == 10


def test_missing_keys_and_synthetic() -> None:
    kept = dedup_events([ev(None), ev(None), ev("m1", model="<synthetic>"), ev("m2"), ev("m2", out=9)])
    assert len(kept) == 3
    assert all(e.model != "<synthetic>" for e in kept)


def test_codex_fingerprint_dropped_across_files_but_deltas_kept() -> None:
    a = [ev("fp1", agent="codex", model="gpt-5.3-codex"), ev("fp2", agent="codex", model="gpt-5.3-codex")]
    b = [
        ev("fp1", agent="codex", model="gpt-5.3-codex", device="B"),
        ev("fp3", agent="codex", model="gpt-5.3-codex", device="B"),
    ]
    kept = dedup_events(a + b)
    assert [e.dedup_key for e in kept] == ["fp1", "fp2", "fp3"]
    assert kept[0].device == "A"


def test_reducing_per_file_first_gives_the_same_result() -> None:
    f1 = [ev("m1:r1", out=1), ev("m1:r1", out=40, dt=1), ev("m2:r2", out=3), ev("m5:r5", out=2, side=True)]
    f2 = [
        ev("m1:r1", out=40, device="B", dt=5),
        ev("m2:r2", out=9, device="B"),
        ev("m5:rY", out=2, device="B"),
    ]
    direct = dedup_events(f1 + f2)
    reduced: list[Ev] = []
    for evs in (f1, f2):
        fu = FileUsage(
            path="/x",
            agent="claude_code",
            device="A",
            session_id="s",
            events=evs,
            skipped=SkippedLines(path="/x"),
        )
        reduced += decode(encode(reduce_file(fu))).events
    via = dedup_events(reduced)
    assert [e.to_event() for e in via] == direct
    assert len(direct) == 3  # m1 once; m5's sidechain copy dropped, its main copy (another requestId) kept


def test_light_events_mirror_usage_event() -> None:
    assert set(FIELDS) == set(UsageEvent.model_fields)
    e = ev("m1:r1", out=40, cw=5)
    light = from_event(e)
    assert light.to_event() == e
    assert (light.line_total, light.cache_write_tokens) == (e.line_total, e.cache_write_tokens)


def test_cost_of_deduped_events() -> None:
    haiku = ev("k1", model="claude-haiku-4-5-20251001", inp=39_891, out=873, cw=447_836, cr=4_455_296)
    opus = ev("k2", inp=26, out=292, cw=66_244, cr=1_030_462)
    tokens, cost = cost_of([haiku, opus])
    assert tokens == 39_891 + 873 + 447_836 + 4_455_296 + 26 + 292 + 66_244 + 1_030_462
    assert cost is not None and f"{cost:.4f}" == "1.9863"
    _, unknown = cost_of([haiku, ev("k3", model="some-gateway-model")])
    assert unknown is None
