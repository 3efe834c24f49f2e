"""The one place below cli.py that talks to the terminal: warnings and progress go through here.

Library code calls ``warn()`` and ``progress()``; the CLI decides where they go (rich console on stderr,
nothing in tests unless captured). Nothing below cli.py prints directly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger("daily_report")

ProgressFn = Callable[[str, dict[str, Any]], None]
_progress_sink: ProgressFn | None = None


def warn(message: str) -> None:
    """A problem the user should see that does not stop the run."""
    logger.warning(message)


def info(message: str) -> None:
    logger.info(message)


def set_progress_sink(fn: ProgressFn | None) -> None:
    global _progress_sink
    _progress_sink = fn


def progress(event: str, **fields: Any) -> None:
    """Report progress (``event`` names what happened: 'request_done', 'stage_start' …)."""
    if _progress_sink is not None:
        _progress_sink(event, fields)
