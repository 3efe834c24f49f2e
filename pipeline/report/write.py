"""Write a day's report.md / report.html / report.json atomically and refresh the index page."""

from __future__ import annotations

from pathlib import Path

from pipeline.report.atomic import atomic_write
from pipeline.report.html import render_html
from pipeline.report.index import write_index
from pipeline.report.json_out import render_json
from pipeline.report.markdown import render_markdown
from schemas.report import DailyReport


def write_report(report: DailyReport, out_dir: Path) -> dict[str, Path]:
    """Render all three formats first (a render error writes nothing), then write each atomically.

    Returns {"md", "html", "json", "index"} -> path.
    """
    rendered = {
        "md": render_markdown(report).encode("utf-8"),
        "html": render_html(report).encode("utf-8"),
        "json": render_json(report),
    }
    day = Path(out_dir) / report.date
    paths = {kind: day / f"report.{kind}" for kind in rendered}
    for kind, data in rendered.items():
        atomic_write(paths[kind], data)
    paths["index"] = write_index(Path(out_dir))
    return paths
