"""Where things are: bundled prompts and fixtures, the user cache directory."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PROMPTS_DIR = REPO_ROOT / "prompts"
FIXTURES_DIR = REPO_ROOT / "fixtures"


def user_cache_dir() -> Path:
    """XDG cache dir on Linux, ~/Library/Caches on macOS, %LOCALAPPDATA% on Windows."""
    if env := os.environ.get("DAILY_REPORT_CACHE_DIR"):
        return Path(env)
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "daily-report"
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "daily-report" / "Cache"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "daily-report"


def default_cache_path() -> Path:
    return user_cache_dir() / "cache.sqlite3"
