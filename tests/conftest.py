"""Test-wide guards: no real outbound network, no stray keys, caches in tmp dirs."""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "fixtures" / "samples"  # real public transcripts, with their licences (SOURCES.md)
REFERENCE_REPORTS = REPO / "fixtures" / "reference-reports"

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _is_local(address: object) -> bool:
    if isinstance(address, tuple) and address:
        host = str(address[0])
    else:
        return isinstance(address, (str, bytes))  # an AF_UNIX path is local
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


class NetworkBlocked(RuntimeError):
    pass


def _guard_connect(self: socket.socket, address: object) -> None:
    if self.family == getattr(socket, "AF_UNIX", None) or _is_local(address):
        return _real_connect(self, address)  # type: ignore[arg-type]
    raise NetworkBlocked(f"test tried a real outbound connection to {address!r}")


def _guard_connect_ex(self: socket.socket, address: object) -> int:
    if self.family == getattr(socket, "AF_UNIX", None) or _is_local(address):
        return _real_connect_ex(self, address)  # type: ignore[arg-type]
    raise NetworkBlocked(f"test tried a real outbound connection to {address!r}")


def _guard_getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    if host is None or _is_local((host,)) or host in ("localhost",):
        return _real_getaddrinfo(host, *args, **kwargs)
    raise NetworkBlocked(f"test tried to resolve {host!r}")


@pytest.fixture(autouse=True)
def _no_network(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("DAILY_REPORT_CACHE_DIR", str(cache))
    if request.node.get_closest_marker("live") is not None:
        return  # a live test talks to the real API with the user's key; it is skipped without one
    monkeypatch.setattr(socket.socket, "connect", _guard_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guard_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", _guard_getaddrinfo)
    for var in (
        "ANTHROPIC_API_KEY",
        "OPENAI_API_KEY",
        "ANTHROPIC_BASE_URL",
        "OPENAI_BASE_URL",
        "DAILY_REPORT_CONFIG",
        "ANTHROPIC_AUTH_TOKEN",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "tiktoken"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skip_live = pytest.mark.skip(reason="live test: set ANTHROPIC_API_KEY or OPENAI_API_KEY to run")
    has_key = bool(os.environ.get("ANTHROPIC_API_KEY") or os.environ.get("OPENAI_API_KEY"))
    for item in items:
        if "live" in item.keywords and not has_key:
            item.add_marker(skip_live)


@pytest.fixture
def samples() -> Path:
    """The sample transcripts in the repository: a missing copy is an error, never a skip."""
    assert (SAMPLES / "claude-code" / "projects").is_dir(), f"sample transcripts missing at {SAMPLES}"
    return SAMPLES
