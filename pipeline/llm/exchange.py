"""``--export-requests`` / ``--import-results``: requests as JSONL in the provider's batch request format,
results read back from that provider's batch result format into the cache.

Export (Anthropic): ``{"custom_id", "params"}``; (OpenAI): ``{"custom_id", "method": "POST",
"url": "/v1/chat/completions", "body"}``. Import (Anthropic): ``{"custom_id", "result": {"type":
"succeeded", "message"}}`` (or errored / canceled / expired); (OpenAI): ``{"custom_id", "response":
{"status_code", "body"}, "error"}``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from daily_report.core import log
from daily_report.core.errors import ConfigError
from daily_report.llm.answer_redaction import AnswerRedactor
from daily_report.llm.answers import AnswerTally, Planned, Sink, accept, answered, custom_id_for
from daily_report.llm.base import Provider, RawAnswer
from daily_report.llm.cache import Cache
from daily_report.llm.ledger import Ledger
from daily_report.llm.providers.anthropic import parse_batch_result as anthropic_result
from daily_report.llm.providers.openai import parse_batch_result as openai_result
from daily_report.llm.types import LLMRequest


@dataclass
class ImportSummary:
    """What an import did. ``skipped_lines`` counts lines that were not JSON or had no custom_id."""

    lines: int = 0
    imported: int = 0
    already_cached: int = 0
    invalid: list[str] = field(default_factory=list)
    errored: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    skipped_lines: int = 0


def export_requests(
    provider: Provider, requests: Sequence[LLMRequest], path: Path | str, *, cache: Cache | None = None
) -> int:
    """Write every request with no cached answer (once per key) as a batch line; return how many."""
    seen: set[str] = set()
    lines: list[bytes] = []
    for request in requests:
        key = request.key()
        if key in seen or (cache is not None and cache.has(key)):
            continue
        seen.add(key)
        lines.append(orjson.dumps(provider.batch_request(request, custom_id_for(request))))
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_bytes(b"".join(line + b"\n" for line in lines))
    os.replace(tmp, target)
    return len(lines)


def parse_result_line(line: dict[str, Any]) -> tuple[str, RawAnswer | str]:
    """One result line of either vendor's batch format -> (custom_id, answer or error text)."""
    if "result" in line:
        return anthropic_result(line)
    if "response" in line or "error" in line:
        return openai_result(line)
    raise ValueError("neither an Anthropic ('result') nor an OpenAI ('response') batch result line")


def import_results(
    path: Path | str,
    *,
    cache: Cache,
    requests_by_custom_id: Mapping[str, Planned],
    ledger: Ledger | None = None,
    run_id: str = "",
    date: str | None = None,
    redactor: AnswerRedactor | None = None,
) -> ImportSummary:
    """Read a batch result file into the cache, validating each answer against its planned request."""
    source = Path(path)
    if not source.is_file():
        raise ConfigError(f"--import-results: {source} is not a file")
    summary, tally = ImportSummary(), AnswerTally()
    sink = Sink(cache=cache, ledger=ledger, run_id=run_id, date=date, batch=True, redactor=redactor)
    for n, raw_line in enumerate(source.read_bytes().splitlines(), start=1):
        if not raw_line.strip():
            continue
        summary.lines += 1
        try:
            custom_id, answer = parse_result_line(orjson.loads(raw_line))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            summary.skipped_lines += 1
            log.warn(f"{source} line {n} is not a batch result line ({exc}): skipped")
            continue
        pair = requests_by_custom_id.get(custom_id)
        if pair is None:
            tally.unknown.append(custom_id)
        elif answered(cache, pair):
            summary.already_cached += 1
        else:
            accept(sink, pair, answer=answer, tally=tally)
    summary.imported, summary.invalid = tally.stored, tally.invalid
    summary.errored, summary.unknown = tally.errored, tally.unknown
    if summary.skipped_lines:
        log.warn(f"{source}: {summary.skipped_lines} of {summary.lines} lines skipped (not batch results)")
    return summary
