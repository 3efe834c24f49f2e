"""Chunking: turn boundaries, budget, oversized turns, digest, determinism."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from daily_report.core.errors import ConfigError
from daily_report.schemas.transcript import Session, ToolCall, Turn
from daily_report.text.chunking import build_digest, chunk_session
from daily_report.text.condense import CondensedTurn, condense_session
from daily_report.text.redact import Redactor
from daily_report.text.tokens import count_tokens


def _session(turns: list[Turn]) -> Session:
    return Session(id="sess-1", agent="codex", device="desk", project="alpha", turns=turns)


def _turns(n: int) -> list[Turn]:
    out: list[Turn] = []
    for i in range(n):
        if i % 3 == 0:
            out.append(
                Turn(index=i, role="human", text=f"prompt number {i}: please refactor module {i} " * 3)
            )
        elif i % 3 == 1:
            call = ToolCall(
                name="shell",
                arguments={"command": ["bash", "-lc", f"pytest tests/t{i}.py"]},
                result="\n".join(f"out {i} line {k}" for k in range(8)),
                exit_code=i % 2,
            )
            out.append(Turn(index=i, role="tool", tool=call))
        else:
            out.append(
                Turn(index=i, role="assistant", text=f"Done with step {i}; the fix was in parser.py. " * 4)
            )
    return out


def _condensed(n: int) -> tuple[Session, list[CondensedTurn]]:
    session = _session(_turns(n))
    return session, condense_session(session, redactor=Redactor())


def test_splits_only_at_turn_boundaries_and_covers_every_turn() -> None:
    session, turns = _condensed(60)
    chunks = chunk_session(session, turns, budget_tokens=800, digest_tokens=150)
    assert len(chunks) > 2
    texts = [t.text for t in turns]
    rebuilt = [block for c in chunks for block in _split_blocks(c.text, texts)]
    assert (
        rebuilt == texts
    )  # every turn once, in order, never split (a tool call and its result are one turn)
    assert next(c.turn_start for c in chunks) == 0 and chunks[-1].turn_end == 59
    for a, b in itertools.pairwise(chunks):
        assert b.turn_start > a.turn_end


def _split_blocks(chunk_text: str, texts: list[str]) -> list[str]:
    found, rest = [], chunk_text
    for t in texts:
        if rest.startswith(t):
            found.append(t)
            rest = rest[len(t) :].removeprefix("\n")
    assert rest == ""
    return found


def test_budget_respected_and_metadata_filled() -> None:
    session, turns = _condensed(90)
    chunks = chunk_session(session, turns, budget_tokens=700, digest_tokens=120)
    for i, c in enumerate(chunks):
        assert c.tokens <= 700
        assert c.tokens == count_tokens(c.text) + count_tokens(c.digest)
        assert (c.session_id, c.device, c.agent, c.project) == ("sess-1", "desk", "codex", "alpha")
        assert (c.index, c.count) == (i, len(chunks))
        assert c.text.startswith(f"[t{c.turn_start}]")


def test_chunks_are_balanced() -> None:
    session, turns = _condensed(50)
    chunks = chunk_session(session, turns, budget_tokens=900, digest_tokens=100)
    sizes = [count_tokens(c.text) for c in chunks]
    assert len(chunks) >= 2
    assert min(sizes) > max(sizes) // 2  # no tiny last chunk


def test_single_chunk_has_no_digest() -> None:
    session, turns = _condensed(4)
    chunks = chunk_session(session, turns, budget_tokens=24_000)
    assert len(chunks) == 1 and chunks[0].digest == "" and chunks[0].count == 1


def test_oversized_turn_is_cut_with_marker() -> None:
    big = Turn(index=1, role="assistant", text="the quick brown fox jumps " * 3000)
    session = _session(
        [Turn(index=0, role="human", text="go"), big, Turn(index=2, role="human", text="next")]
    )
    turns = condense_session(session, redactor=Redactor(), max_turn_tokens=100_000)
    chunks = chunk_session(session, turns, budget_tokens=1000, digest_tokens=200)
    cut = next(c for c in chunks if "[t1]" in c.text)
    assert "[… turn cut:" in cut.text and "tokens omitted …]" in cut.text
    assert all(c.tokens <= 1000 for c in chunks)
    assert [c.turn_start for c in chunks] == sorted(c.turn_start for c in chunks)


def test_digest_has_first_and_latest_prompts_within_its_budget() -> None:
    session, turns = _condensed(60)
    chunks = chunk_session(session, turns, budget_tokens=800, digest_tokens=200)
    later = chunks[-1]
    assert later.digest.startswith("Earlier parts covered turns t0-")
    assert "[t0] prompt number 0" in later.digest
    assert count_tokens(later.digest) <= 200
    earlier_prompts = [t for t in turns if t.role == "human" and t.index < later.turn_start]
    assert f"[t{earlier_prompts[-1].index}] prompt" in later.digest  # the latest prompt before this chunk
    # with room, the last AI reply comes too (prompts first: they are what the later part must know)
    roomy = chunk_session(session, turns, budget_tokens=2400, digest_tokens=1000)
    assert "Last AI reply: [t" in roomy[-1].digest


def test_digest_is_capped() -> None:
    _, turns = _condensed(200)
    digest = build_digest(turns, max_tokens=60)
    assert count_tokens(digest) <= 60 and digest.startswith("Earlier parts")
    assert build_digest([], max_tokens=100) == ""


def test_deterministic_byte_identical_output() -> None:
    session, _ = _condensed(80)
    a = chunk_session(
        session, condense_session(session, redactor=Redactor()), budget_tokens=700, digest_tokens=150
    )
    b = chunk_session(
        session, condense_session(session, redactor=Redactor()), budget_tokens=700, digest_tokens=150
    )
    assert [c.model_dump_json() for c in a] == [c.model_dump_json() for c in b]


def test_empty_and_invalid_budget() -> None:
    session = _session([])
    assert chunk_session(session, [], budget_tokens=1000) == []
    with pytest.raises(ConfigError, match="too small"):
        chunk_session(session, [], budget_tokens=100)


def test_prepare_chunks_no_planted_secret_reaches_any_chunk() -> None:
    from daily_report.text.prepare import prepare_chunks

    aws = "AKIA2E0A8F3B244C9986"
    gh = "ghp_" + "S3cr3tV4lu3Zz" * 3
    pw = "Pl4nted-Passw0rd"
    turns = [
        Turn(index=0, role="human", text=f"deploy with {aws} and DB_PASSWORD={pw}"),
        Turn(index=1, role="thinking", text=f"the token is {gh}"),
        Turn(
            index=2,
            role="tool",
            tool=ToolCall(
                name="Bash",
                arguments={"command": f"GH_TOKEN={gh} gh pr list"},
                result=f"export DB_PASSWORD={pw}\n" * 50,
            ),
        ),
        Turn(index=3, role="summary", text=f"Earlier the user pasted {aws}."),
        Turn(index=4, role="event", text=f"API error: bad credentials {gh}"),
        *[Turn(index=i, role="human", text=f"step {i}: rotate {aws} now " * 20) for i in range(5, 40)],
    ]
    redactor = Redactor()
    chunks = prepare_chunks(
        _session(turns), redactor=redactor, budget_tokens=600, max_turn_tokens=400, digest_tokens=150
    )
    assert len(chunks) > 2 and any(c.digest for c in chunks)
    for c in chunks:
        for secret in (aws, gh, pw):
            assert secret not in c.text and secret not in c.digest
    assert redactor.counts["aws-access-key"] >= 36
    assert redactor.counts["github-token"] >= 3
    assert redactor.counts["password-assignment"] >= 2


def test_samples_chunk_within_budget_and_deterministically(samples: Path) -> None:
    from daily_report.schemas.config import Config, DeviceConfig
    from daily_report.sources.discovery import discover
    from daily_report.sources.reader import read_sessions
    from daily_report.text.prepare import prepare_chunks

    device = DeviceConfig(name="samples", claude=[samples / "claude-code"], codex=[samples / "codex"])
    sessions = read_sessions(discover(Config(devices={"samples": device})).files).sessions
    big = max(sessions, key=lambda s: len(s.turns))
    first = prepare_chunks(big, redactor=Redactor(), budget_tokens=8000, max_turn_tokens=3000)
    again = prepare_chunks(big, redactor=Redactor(), budget_tokens=8000, max_turn_tokens=3000)
    assert len(first) >= 3
    assert [c.model_dump_json() for c in first] == [c.model_dump_json() for c in again]
    assert all(c.tokens <= 8000 for c in first)
    assert all(c.digest for c in first[1:])


def test_prepare_chunks_independent_of_other_sessions_and_counts_accumulate() -> None:
    from daily_report.text.prepare import prepare_chunks

    key_a, key_b = "ghp_" + "A1b2" * 9, "ghp_" + "Z9y8" * 9
    other = _session([Turn(index=0, role="human", text=f"use {key_a}")])
    target = _session([Turn(index=0, role="human", text=f"use {key_b} then {key_a}")])
    alone = prepare_chunks(target, redactor=Redactor(), budget_tokens=1000, max_turn_tokens=500)
    run = Redactor()
    prepare_chunks(other, redactor=run, budget_tokens=1000, max_turn_tokens=500)
    after_other = prepare_chunks(target, redactor=run, budget_tokens=1000, max_turn_tokens=500)
    assert [c.model_dump_json() for c in alone] == [c.model_dump_json() for c in after_other]
    assert "use [REDACTED:github-token#1] then [REDACTED:github-token#2]" in alone[0].text
    assert run.counts == {"github-token": 3}


def test_fixture_day_planted_secrets_never_reach_a_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    import tomllib

    from daily_report.schemas.config import Config, DeviceConfig
    from daily_report.sources.discovery import discover
    from daily_report.sources.reader import read_sessions
    from daily_report.text.prepare import prepare_chunks

    from tests.conftest import REPO

    day = REPO / "fixtures" / "day"
    if not (day / "daily-report.toml").is_file() or not (REPO / "fixtures" / "day_hpc.py").is_file():
        pytest.skip("fixture day not present")
    monkeypatch.syspath_prepend(str(REPO / "fixtures"))
    secrets = pytest.importorskip("day_hpc").SECRETS
    assert len(secrets) >= 3
    raw = tomllib.loads((day / "daily-report.toml").read_text())
    devices = {
        name: DeviceConfig(
            name=name,
            claude=[day / p for p in d.get("claude", [])],
            codex=[day / p for p in d.get("codex", [])],
        )
        for name, d in raw["devices"].items()
    }
    sessions = read_sessions(discover(Config(devices=devices)).files).sessions
    on_disk = "".join(Path(f).read_text() for s in sessions for f in s.files)
    assert all(secret in on_disk for secret in secrets)  # they are really planted
    redactor = Redactor()
    for s in sessions:
        for c in prepare_chunks(s, redactor=redactor, budget_tokens=3000, max_turn_tokens=6000):
            assert not any(secret in c.text or secret in c.digest for secret in secrets)
    assert sum(redactor.counts.values()) >= len(secrets)
