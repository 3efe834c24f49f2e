"""The offline demo keeps everything it writes beside its report: the user's cache dir stays untouched."""

from __future__ import annotations

import os
from pathlib import Path


def test_demo_writes_nothing_to_the_user_cache_dir(tmp_path: Path) -> None:
    from daily_report.cli.run_cmd import run_demo

    user_cache = Path(os.environ["DAILY_REPORT_CACHE_DIR"])  # conftest points it at an empty temp dir
    run_demo(tmp_path / "demo")
    assert (tmp_path / "demo" / ".cache" / "index.sqlite3").is_file()  # the usage index followed the run
    assert not user_cache.exists() or sorted(p.name for p in user_cache.iterdir()) == []
