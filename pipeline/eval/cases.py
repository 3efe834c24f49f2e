"""Eval cases as data: ``fixtures/cases/<case>/`` with ``case.toml``, ``expect.yaml`` and ``reference/``.

A case directory holds transcripts in the real on-disk layout, one dir per agent named by its TOML key
(``claude/projects/...``, ``codex/sessions/...``), plus
``case.toml`` (``date``, ``timezone``, optional ``lang``, ``stages`` and a ``[chunk]`` table) and ``expect.yaml``
(per stage: ``must_mention``, ``must_not_mention``, ``statuses``, ``categories``, ``severities``, ``count``).
The pydantic models below mirror ``fixtures/cases/expect.schema.json``; a case that does not load is kept
as a ``Case`` with its ``error`` so the run shows it as a row instead of stopping.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import daily_report.sources.agents as agents
import yaml
from daily_report.core.errors import ConfigError
from daily_report.core.paths import FIXTURES_DIR
from daily_report.schemas.config import ChunkConfig, Config, DeviceConfig
from daily_report.stages.registry import STAGES
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

DEFAULT_CASES_DIR = FIXTURES_DIR / "cases"
REGEX_PREFIX = "re:"


Pattern = Annotated[str, StringConstraints(min_length=1)]
StatusValue = Literal["done", "in_progress", "blocked", "investigation"]
CategoryValue = Literal["architecture_strategy", "implementation_fixes"]
SeverityValue = Literal["critical", "general"]


def stage_names() -> list[str]:
    return list(STAGES)


def _known_stage(name: str) -> str:
    if name not in STAGES:
        raise ValueError(f"unknown stage {name!r}: choose one of {', '.join(STAGES)}")
    return name


# A stage's name as the registry knows it (the registry is the only stage list).
StageName = Annotated[str, AfterValidator(_known_stage)]


class CountBounds(BaseModel):
    """How many items the stage should produce over the case, after the session merge (inclusive)."""

    model_config = ConfigDict(extra="forbid")

    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _bounds(self) -> CountBounds:
        if self.min is None and self.max is None:
            raise ValueError("count needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"count.min {self.min} is above count.max {self.max}")
        return self


class StageExpect(BaseModel):
    """What one stage's answers must (and must not) say for a case."""

    model_config = ConfigDict(extra="forbid")

    must_mention: list[Pattern] = Field(
        default_factory=list, description="Case-insensitive substrings, or regexes written 're:...'."
    )
    must_not_mention: list[Pattern] = Field(
        default_factory=list, description="Hallucination traps, planted secrets, injected text."
    )
    statuses: list[StatusValue] = Field(
        default_factory=list, description="Status values the answers must use, and no other."
    )
    categories: list[CategoryValue] = Field(
        default_factory=list, description="tasks[].category values the answers must use, and no other."
    )
    severities: list[SeverityValue] = Field(
        default_factory=list, description="Severity values the answers must use, and no other."
    )
    count: CountBounds | None = None

    @field_validator("must_mention", "must_not_mention")
    @classmethod
    def _patterns_compile(cls, values: list[str]) -> list[str]:
        for v in values:
            if v.startswith(REGEX_PREFIX):
                try:
                    re.compile(v[len(REGEX_PREFIX) :])
                except re.error as e:
                    raise ValueError(f"bad regex {v!r}: {e}") from e
        return values

    @field_validator("statuses", "categories", "severities", mode="before")
    @classmethod
    def _unique_nonempty(cls, values: Any) -> Any:
        if isinstance(values, list):
            if not values:
                raise ValueError("leave the key out rather than give an empty list")
            if len(set(map(str, values))) != len(values):
                raise ValueError(f"duplicate values in {values}")
        return values


class CaseExpect(BaseModel):
    """``expect.yaml``: a description and, per stage, its expectations (mirrors expect.schema.json)."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field(min_length=1)
    stages: dict[StageName, StageExpect] = Field(min_length=1)

    @classmethod
    def empty(cls) -> CaseExpect:
        return cls.model_construct(description="", stages={})

    def for_stage(self, stage: str) -> StageExpect | None:
        return next((e for name, e in self.stages.items() if name == stage), None)


class CaseSettings(BaseModel):
    """``case.toml``."""

    model_config = ConfigDict(extra="allow")

    date: str
    timezone: str
    lang: str = "en"
    stages: list[str] | None = None
    chunk: ChunkConfig = Field(default_factory=ChunkConfig)
    description: str | None = None


@dataclass
class Case:
    """One loaded case; ``error`` is set (and the rest may be empty) when it could not be loaded."""

    name: str
    path: Path
    settings: CaseSettings | None = None
    expect: CaseExpect = field(default_factory=CaseExpect.empty)
    error: str | None = None

    @property
    def reference_dir(self) -> Path:
        return self.path / "reference"

    def stages(self, chosen: list[str] | None = None) -> list[str]:
        """The stages to score: every stage (or those listed in case.toml), narrowed to ``chosen``. A stage
        without expectations still gets its schema score."""
        listed = self.settings.stages if self.settings and self.settings.stages else None
        names = [s for s in stage_names() if listed is None or s in listed]
        return [s for s in names if chosen is None or s in chosen]

    def config(self, *, llm: Any = None, prices: Any = None) -> Config:
        """The config an eval run uses: one device named after the case, each agent's root the case's dir
        named by the agent's TOML key (``claude/``, ``codex/``, ...) when there is one."""
        assert self.settings is not None
        roots = {
            a.name: [self.path / a.config_key] for a in agents.AGENTS if (self.path / a.config_key).is_dir()
        }
        device = DeviceConfig(name=self.name, roots=roots)
        config = Config(
            timezone=self.settings.timezone,
            devices={self.name: device},
            chunk=self.settings.chunk,
            lang=self.settings.lang,
        )
        if llm is not None:
            config.llm = llm
        if prices:
            config.prices = dict(prices)
        return config


def load_cases(cases_dir: Path | None = None, *, names: list[str] | None = None) -> list[Case]:
    """Every case directory (one holding case.toml) under ``cases_dir``, sorted by name."""
    base = cases_dir or DEFAULT_CASES_DIR
    if not base.is_dir():
        raise ConfigError(f"eval cases directory {base} not found: pass --cases DIR")
    dirs = sorted(p for p in base.iterdir() if p.is_dir() and _is_case(p))
    if names:
        dirs = [d for d in dirs if d.name in names]
    if not dirs:
        raise ConfigError(
            f"no eval case under {base}: a case is a directory holding case.toml and expect.yaml"
        )
    return [load_case(d) for d in dirs]


def _is_case(p: Path) -> bool:
    return (p / "case.toml").is_file()


def load_case(path: Path) -> Case:
    case = Case(name=path.name, path=path)
    try:
        case.settings = _read_settings(path / "case.toml")
        case.expect = read_expect(path / "expect.yaml")
    except ConfigError as e:
        case.error = str(e)
    return case


def _read_settings(path: Path) -> CaseSettings:
    if not path.is_file():
        raise ConfigError(f"{path} not found: a case needs date and timezone in case.toml")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        if "date" in raw:
            raw["date"] = str(raw["date"])  # TOML dates parse as datetime.date
        return CaseSettings.model_validate(raw)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path} is not valid TOML: {e}") from e
    except ValidationError as e:
        raise ConfigError(f"{path}: {_problem(e)}") from e


def read_expect(path: Path) -> CaseExpect:
    """``expect.yaml``, validated by the rules of ``fixtures/cases/expect.schema.json``."""
    if not path.is_file():
        raise ConfigError(f"{path} not found: write the case's expectations (see fixtures/cases/README.md)")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return CaseExpect.model_validate(raw)
    except yaml.YAMLError as e:
        raise ConfigError(f"{path} is not valid YAML: {e}") from e
    except (ValidationError, ValueError) as e:
        detail = _problem(e) if isinstance(e, ValidationError) else str(e)
        raise ConfigError(f"{path}: {detail}") from e


def _problem(e: ValidationError, limit: int = 3) -> str:
    """The first few problems, each with where it is and the value found."""
    parts = []
    for err in e.errors()[:limit]:
        where = ".".join(str(x) for x in err.get("loc", ())) or "(top)"
        found = err.get("input")
        shown = (
            f" (found {found!r})" if isinstance(found, (str, int, float)) and err["type"] != "missing" else ""
        )
        parts.append(f"{where}: {err.get('msg', 'invalid value')}{shown}")
    more = f" (+{len(e.errors()) - limit} more)" if len(e.errors()) > limit else ""
    return "; ".join(parts) + more
