"""The daily report: build it from stage results, render it as Markdown, HTML and JSON, write it.

Imports are lazy: ``pipeline.report.fmt`` and ``pipeline.report.usage_tables`` (the usage command's tables)
load without the report schema, the builders or the renderers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.report.build import build_report
    from pipeline.report.html import render_html
    from pipeline.report.json_out import load_json, render_json
    from pipeline.report.markdown import render_markdown
    from pipeline.report.write import write_report

_EXPORTS = {
    "build_report": "pipeline.report.build",
    "render_html": "pipeline.report.html",
    "load_json": "pipeline.report.json_out",
    "render_json": "pipeline.report.json_out",
    "render_markdown": "pipeline.report.markdown",
    "write_report": "pipeline.report.write",
}

__all__ = ["build_report", "load_json", "render_html", "render_json", "render_markdown", "write_report"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value  # once: later lookups (and monkeypatching) see a plain attribute
        return value
    raise AttributeError(f"module 'pipeline.report' has no attribute {name!r}")
