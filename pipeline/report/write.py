"""Write a day's report.md / report.html / report.json atomically and refresh the index page."""

from __future__ import annotations

from pathlib import Path

from daily_report.report.atomic import atomic_write
from daily_report.report.html import render_html
from daily_report.report.index import write_index
from daily_report.report.json_out import render_json
from daily_report.report.markdown import render_markdown
from daily_report.schemas.report import DailyReport


def write_report(report: DailyReport, out_dir: Path, *, variant: str = "") -> dict[str, Path]:
    """Render all three formats first (a render error writes nothing), then write each atomically.

    A filtered run passes its ``variant`` (e.g. ``session-7c1e``): it writes ``report.<variant>.<kind>``
    beside the full day's report and never replaces it. Returns {"md", "html", "json", "index"} -> path.
    """
    rendered = {
        "md": render_markdown(report).encode("utf-8"),
        "html": render_html(report).encode("utf-8"),
        "json": render_json(report),
    }
    day = Path(out_dir) / report.date
    stem = f"report.{variant}" if variant else "report"
    paths = {kind: day / f"{stem}.{kind}" for kind in rendered}
    for kind, data in rendered.items():
        atomic_write(paths[kind], data)
    paths["index"] = write_index(Path(out_dir))
    return paths
