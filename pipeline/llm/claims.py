"""Claims on in-flight requests, in the cache's SQLite: two runs on one cache pay for each answer once.

Before sending, a run claims the request key. A key claimed by another live run is left for later: the
run takes other work and looks again, and by then the answer is usually in the cache. A claim is a lease:
its owner renews it while it works, so one whose process died (kill -9, a crash, a lost machine) expires
after ``lease_s``; on the same host a claim whose process is gone is taken over at once.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time

from daily_report.llm.db import Database

LEASE_S = 60.0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    return True


class Claims:
    """The claims of one run (``owner``) over the cache database; renewed by a background thread."""

    def __init__(self, db: Database, *, owner: str, lease_s: float = LEASE_S) -> None:
        self.db = db
        self.owner = owner
        self.lease_s = lease_s
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self._held: set[str] = set()
        self._lock = threading.Lock()
        self._renewer: threading.Thread | None = None

    def claim(self, key: str) -> bool:
        """Take the key (True), or False while another live run holds it."""
        now = time.time()
        held = self.db.query("SELECT owner, host, pid, expires FROM claims WHERE key = ?", (key,))
        if held and held[0][0] != self.owner and not self._stale(tuple(held[0]), now):
            return False  # busy, seen without taking the write lock (a waiting run asks twice a second)
        with self.db.tx() as conn:
            row = conn.execute(
                "SELECT owner, host, pid, expires FROM claims WHERE key = ?", (key,)
            ).fetchone()
            if row is not None and row[0] != self.owner and not self._stale(row, now):
                return False
            conn.execute(
                "INSERT OR REPLACE INTO claims (key, owner, host, pid, expires) VALUES (?,?,?,?,?)",
                (key, self.owner, self.host, self.pid, now + self.lease_s),
            )
        with self._lock:
            self._held.add(key)
            if self._renewer is None:
                self._renewer = threading.Thread(target=self._renew_loop, name="claims", daemon=True)
                self._renewer.start()
        return True

    def release(self, key: str) -> None:
        with self._lock:
            self._held.discard(key)
        try:
            with self.db.tx() as conn:
                conn.execute("DELETE FROM claims WHERE key = ? AND owner = ?", (key, self.owner))
        except sqlite3.Error:
            pass  # the lease runs out on its own

    def _stale(self, row: tuple[str, str, int, float], now: float) -> bool:
        _owner, host, pid, expires = row
        return expires <= now or (host == self.host and not _alive(pid))

    def _renew_loop(self) -> None:
        """Push the held leases forward every third of a lease; stop once nothing is held."""
        while True:
            time.sleep(self.lease_s / 3)
            with self._lock:
                keys = list(self._held)
                if not keys:
                    self._renewer = None
                    return
            try:
                with self.db.tx() as conn:
                    conn.executemany(
                        "UPDATE claims SET expires = ? WHERE key = ? AND owner = ?",
                        [(time.time() + self.lease_s, k, self.owner) for k in keys],
                    )
            except sqlite3.Error:
                with self._lock:
                    self._renewer = None
                return  # the cache was closed: the leases run out
