"""Where things are: bundled prompts and fixtures, the user cache directory.

The package is installed as ``daily_report``: in a wheel, prompts, schemas and fixtures sit inside it
(``daily_report/prompts``); in a checkout (editable install) they are the repository's top-level folders.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = PACKAGE_DIR.parent


def _bundled(name: str) -> Path:
    """``daily_report/<name>`` when installed from a wheel, else the checkout's ``<name>/``."""
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else REPO_ROOT / name


PROMPTS_DIR = _bundled("prompts")
FIXTURES_DIR = _bundled("fixtures")
SCHEMAS_DIR = _bundled("schemas")


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
