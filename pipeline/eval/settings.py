"""What an eval run is asked for, and one case's engine run: shared by the runner and the judge."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from daily_report.core.paths import default_cache_path
from daily_report.eval.cases import Case
from daily_report.schemas.config import Config, LLMConfig


@dataclass
class EvalSettings:
    """What ``daily-report eval`` asks for, apart from the prompts directory of each side."""

    cases_dir: Path | None = None
    case_names: list[str] | None = None
    stages: list[str] | None = None
    provider: str | None = None
    model: str | None = None
    base_url: str | None = None
    repeat: int = 1
    judge: bool = False
    cache_path: Path | None = None
    config: Config | None = None  # the user's config: [llm] and [prices] apply to every case

    def llm(self) -> LLMConfig:
        return self.config.llm if self.config is not None else LLMConfig()

    def prices(self) -> dict[str, Any]:
        return dict(self.config.prices) if self.config is not None else {}

    def cache_file(self) -> Path:
        if self.cache_path is not None:
            return self.cache_path
        if self.config is not None and self.config.cache_path is not None:
            return self.config.cache_path
        return default_cache_path()

    def samples(self) -> list[int]:
        """The sample numbers each case runs as: [0] (the normal, cached run) or 1..repeat."""
        return list(range(1, self.repeat + 1)) if self.repeat > 1 else [0]


@dataclass
class CaseRun:
    """One engine run of one case: the engine's run state and result."""

    case: Case
    run: Any
    result: Any
