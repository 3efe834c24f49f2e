"""The daily report: build it from stage results, render it as Markdown, HTML and JSON, write it."""

from __future__ import annotations

from pipeline.report.build import build_report
from pipeline.report.html import render_html
from pipeline.report.json_out import load_json, render_json
from pipeline.report.markdown import render_markdown
from pipeline.report.write import write_report

__all__ = ["build_report", "load_json", "render_html", "render_json", "render_markdown", "write_report"]
