"""Two runs on one cache pay once: in-flight requests are claimed in the cache's SQLite with a lease, a
second run waits for an answer being fetched or takes other work, and a killed run's claims are taken
over at once (same host) or when their lease runs out."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from daily_report.engine.execute import Executor
from daily_report.engine.plan import Planned
from daily_report.llm.claims import LEASE_S, Claims
from daily_report.llm.db import Database

from tests.conftest import REPO
from tests.stub_llm_server import StubLLMServer
from tests.test_engine_execute import FakeSender, _planned, _resp
from tests.test_run_day import DAY, make_day, run_args


class SlowStub(StubLLMServer):
    """Answers after ``delay`` seconds, so that two runs overlap."""

    delay = 0.0

    def output_for(self, body: dict[str, Any]) -> dict[str, Any]:
        time.sleep(self.delay)
        return super().output_for(body)


def _start(config: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ANTHROPIC_API_KEY": "test-key", "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "daily_report", *run_args(config)],
        cwd=config.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _finish(proc: subprocess.Popen[bytes], timeout: float = 120) -> tuple[int, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, (out + err).decode(errors="replace")


def _claims(cache: Path) -> int:
    if not cache.exists():
        return 0
    try:
        with sqlite3.connect(cache, timeout=5) as db:
            return int(db.execute("SELECT count(*) FROM claims").fetchone()[0])
    except sqlite3.OperationalError:
        return 0  # the table is not created yet


# ---------------------------------------------------------------- the claims themselves


def test_a_held_claim_is_refused_to_another_run_until_released(tmp_path: Path) -> None:
    db = Database(tmp_path / "cache.sqlite3")
    a, b = Claims(db, owner="run-a"), Claims(db, owner="run-b")
    assert a.claim("k1") and a.claim("k1")  # its own claim again: fine
    assert not b.claim("k1") and b.claim("k2")
    a.release("k1")
    assert b.claim("k1")


def test_a_claim_of_a_dead_process_is_taken_over_at_once(tmp_path: Path) -> None:
    db = Database(tmp_path / "cache.sqlite3")
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    with db.tx() as conn:  # a claim with a long lease by a process that has exited
        conn.execute(
            "INSERT INTO claims (key, owner, host, pid, expires) VALUES ('k', 'dead', ?, ?, ?)",
            (Claims(db, owner="x").host, gone.pid, time.time() + 3600),
        )
    assert Claims(db, owner="run-b").claim("k")


def test_a_claim_from_another_host_expires_with_its_lease(tmp_path: Path) -> None:
    db = Database(tmp_path / "cache.sqlite3")
    with db.tx() as conn:
        conn.execute(
            "INSERT INTO claims (key, owner, host, pid, expires) VALUES ('k', 'far', 'other-host', 1, ?)",
            (time.time() + 0.3,),
        )
    b = Claims(db, owner="run-b")
    assert not b.claim("k")
    time.sleep(0.4)
    assert b.claim("k")


def test_a_live_claim_is_renewed_past_its_lease(tmp_path: Path) -> None:
    db = Database(tmp_path / "cache.sqlite3")
    a = Claims(db, owner="run-a", lease_s=0.3)
    a.host = "other-host"  # no pid check: only the lease protects it
    assert a.claim("k")
    time.sleep(0.7)  # two leases: alive only because it was renewed
    assert not Claims(db, owner="run-b").claim("k")
    a.release("k")


# ---------------------------------------------------------------- the executor with claims


class OtherRunFetching(FakeSender):
    """A sender whose first request is being fetched by another run, which stores it after ``delay_s``."""

    def __init__(self, busy_key: str, delay_s: float) -> None:
        super().__init__()
        self.busy_key, self.until = busy_key, time.monotonic() + delay_s
        self.order: list[str] = []

    def claim_request(self, planned: Planned) -> bool:
        if planned.key != self.busy_key:
            return True
        if time.monotonic() < self.until:
            return False
        self.cache.setdefault(planned.key, _resp("other run", "0.01"))  # the other run's answer arrived
        return True

    def send(self, planned: Planned) -> Any:
        self.order.append(planned.request.label)
        return super().send(planned)


def test_a_request_another_run_is_fetching_is_waited_for_not_sent() -> None:
    first, *others = [_planned("facts", session=f"s{i}") for i in range(4)]
    sender = OtherRunFetching(first.key, delay_s=0.6)
    out = Executor(sender=sender, concurrency=1).run([first, *others])
    assert out[first.key].status == "cached" and first.request.label not in sender.sent
    assert sender.order == [p.request.label for p in others]  # it took the other work meanwhile
    assert sender.hits == [first.request.label]


# ---------------------------------------------------------------- two real runs


def test_two_runs_at_once_send_each_request_about_once(tmp_path: Path) -> None:
    with SlowStub() as stub:
        stub.delay = 0.15
        alone = make_day(tmp_path / "alone", provider="anthropic", base_url=stub.url)
        code, text = _finish(_start(alone))
        assert code == 0, text
        single = len(stub.message_requests())

        shared = make_day(tmp_path / "shared", provider="anthropic", base_url=stub.url)
        before = len(stub.message_requests())
        first, second = _start(shared), _start(shared)
        (c1, t1), (c2, t2) = _finish(first), _finish(second)
        assert c1 == 0 and c2 == 0, t1 + t2
        both = len(stub.message_requests()) - before
    print(f"two runs at once: {both} requests, one run alone: {single}")
    assert single >= 8  # 5 bundled chunk requests, the reduce, 1 project, the overview
    assert both <= 1.1 * single, (both, single)
    assert (tmp_path / "shared" / "reports" / DAY / "report.json").is_file()
    assert _claims(tmp_path / "shared" / "cache.sqlite3") == 0  # every claim was given back


def test_a_run_killed_with_sigkill_does_not_hold_up_the_next(tmp_path: Path) -> None:
    with SlowStub() as stub:
        stub.delay = 30.0  # the first run's requests hang
        config = make_day(tmp_path, provider="anthropic", base_url=stub.url)
        cache = tmp_path / "cache.sqlite3"
        victim = _start(config)
        deadline = time.monotonic() + 60
        while _claims(cache) == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _claims(cache) > 0, "the first run never claimed a request"
        victim.send_signal(signal.SIGKILL)
        victim.wait()

        stub.delay = 0.0
        started = time.monotonic()
        code, text = _finish(_start(config))
        took = time.monotonic() - started
    print(f"the run after a kill -9: {took:.1f} s")
    assert code == 0, text
    assert took < LEASE_S - 5, took  # not held up by the dead run's claims until their lease ends
    assert (tmp_path / "reports" / DAY / "report.json").is_file()
