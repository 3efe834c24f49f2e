"""Content-addressed answer cache: request key -> validated answer. Errors are never stored."""

from __future__ import annotations

import time
from pathlib import Path

from daily_report.core import log
from daily_report.llm.db import Database
from daily_report.llm.types import LLMRequest, LLMResponse
from pydantic import ValidationError


class Cache:
    """Answers by ``LLMRequest.key()``, with request metadata beside them for listings and eval."""

    def __init__(self, path: Path | str | None = None, *, db: Database | None = None) -> None:
        self.db = db or Database(path)

    @property
    def path(self) -> Path:
        return self.db.path

    def get(self, key: str) -> LLMResponse | None:
        rows = self.db.query("SELECT response FROM responses WHERE key = ?", (key,))
        if not rows:
            return None
        try:
            resp = LLMResponse.model_validate_json(rows[0]["response"])
        except ValidationError as exc:
            log.warn(
                f"cache entry {key[:12]} in {self.path} is unreadable ({exc.error_count()} errors): asked again"
            )
            return None
        return resp.model_copy(update={"cache_hit": True})

    def has(self, key: str) -> bool:
        return bool(self.db.query("SELECT 1 FROM responses WHERE key = ?", (key,)))

    def put(self, key: str, request: LLMRequest, response: LLMResponse) -> None:
        """Store a validated answer the moment it arrives (the latest answer for a key wins)."""
        stored = response.model_copy(update={"cache_hit": False})
        with self.db.tx() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO responses (key, created, stage, prompt_version, provider, model, label,"
                " session_id, chunk_index, schema_name, response) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    key,
                    time.time(),
                    request.stage,
                    request.prompt_version,
                    request.provider,
                    request.model,
                    request.label,
                    request.session_id,
                    request.chunk_index,
                    request.schema_name,
                    stored.model_dump_json().encode(),
                ),
            )

    def entries(self, *, stage: str | None = None) -> list[dict[str, object]]:
        """Metadata of stored answers (no bodies), newest first."""
        sql = (
            "SELECT key, created, stage, prompt_version, provider, model, label, session_id, chunk_index,"
            " schema_name FROM responses"
        )
        params: tuple[object, ...] = ()
        if stage is not None:
            sql += " WHERE stage = ?"
            params = (stage,)
        return [dict(r) for r in self.db.query(sql + " ORDER BY created DESC", params)]

    def close(self) -> None:
        self.db.close()
