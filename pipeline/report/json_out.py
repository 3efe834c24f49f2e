"""report.json: the DailyReport as it is (schema_version and every section at the top level)."""

from __future__ import annotations

import orjson
from daily_report.schemas.report import DailyReport


def render_json(report: DailyReport) -> bytes:
    """Indented UTF-8 JSON; it validates back into DailyReport."""
    return orjson.dumps(report.model_dump(mode="json"), option=orjson.OPT_INDENT_2) + b"\n"


def load_json(data: bytes | str) -> DailyReport:
    return DailyReport.model_validate_json(data)
