"""The user's configuration (`daily-report.toml`), validated."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ProviderName = Literal["anthropic", "openai", "replay"]


# The TOML key of each agent's roots in [devices.X] -> the agent's name (its adapter's ``name`` and
# ``config_key``; a test checks they agree with daily_report.sources.agents.AGENTS).
ROOT_KEYS: dict[str, str] = {
    "claude": "claude_code",  # Claude Code: dirs holding projects/, or projects/ dirs
    "codex": "codex",  # Codex: dirs holding sessions/, or sessions/ dirs
    "gemini": "gemini_cli",  # Gemini CLI: dirs holding tmp/, or tmp/ dirs
}


class DeviceConfig(BaseModel):
    """One machine (or one synced copy of it): its transcript roots per agent. The TOML gives them under
    each agent's key (``claude = [...]``, ``codex = [...]``); ``roots`` holds them by agent name."""

    model_config = ConfigDict(extra="forbid")

    name: str
    roots: dict[str, list[Path]] = Field(default_factory=dict, description="Agent name -> its root dirs.")

    @model_validator(mode="before")
    @classmethod
    def _roots_from_keys(cls, data: Any) -> Any:
        """``claude = [...]`` and the other TOML keys of ROOT_KEYS become ``roots`` entries (an unknown key
        stays, and is refused as one)."""
        if not isinstance(data, dict) or not any(k in data for k in ROOT_KEYS):
            return data
        data = dict(data)
        roots = dict(data.get("roots") or {})
        for key, agent in ROOT_KEYS.items():
            if key in data:
                roots[agent] = data.pop(key)
        data["roots"] = roots
        return data


class PriceOverride(BaseModel):
    """Per-model prices in USD per million tokens, for private deployments and gateways."""

    model_config = ConfigDict(extra="forbid")

    input: float
    output: float
    cache_write: float | None = None
    cache_write_1h: float | None = None
    cache_read: float | None = None


class LLMConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: ProviderName = "anthropic"
    model: str | None = Field(default=None, description="Default per provider when unset.")
    base_url: str | None = None
    concurrency: int = Field(default=8, ge=1, description="Requests in flight at the start of a run.")
    max_concurrency: int = Field(
        default=32,
        ge=1,
        description="Ceiling of the adaptive limit: it rises while no 429/529 comes and halves on one. "
        "Set it equal to concurrency for a fixed number of requests in flight.",
    )
    max_cost_usd: float | None = Field(default=None, gt=0, description="Budget in USD; above 0.")
    max_output_tokens: int = 4096
    reasks: int = Field(default=2, description="Validation re-asks after the first answer.")
    replay_dir: Path | None = Field(default=None, description="Where the replay provider reads answers.")
    timeout_s: float = 120.0
    structured: Literal["tools", "native", "tool"] = Field(
        default="tools",
        description=(
            "tools: chunk stages share one tool list (each forces its own tool), so stages 2-5 over a chunk "
            "read the transcript from the provider's prompt cache; day stages use native output. native: a "
            "schema per request (constrained decoding, but no cross-stage prompt caching). tool: one forced "
            "tool per request (Anthropic via proxies, Bedrock; no cross-stage caching either)."
        ),
    )
    strict_tools: bool = Field(
        default=True,
        description="Anthropic strict tool use (Claude 4.5+): tool arguments constrained to the schema. "
        "Turn off for older models or gateways that reject the 'strict' key.",
    )
    retry_attempts: int = Field(
        default=6, description="Transport attempts per request (429, 529, 5xx, timeouts)."
    )
    retry_max_s: float = Field(default=300.0, description="Stop retrying a request after this many seconds.")
    breaker_failures: int = Field(
        default=5,
        ge=1,
        description="Connection failures or 5xx answers in a row (over all requests, no answer in between) "
        "after which the run stops sending and leaves the rest pending.",
    )


class ChunkConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    budget_tokens: int = Field(default=24_000, description="Transcript tokens per chunk (o200k count).")
    max_turn_tokens: int = Field(default=6_000, description="A single turn longer than this is cut.")
    min_human_prompts: int = Field(default=1, description="Sessions with fewer real prompts are skipped.")
    min_turns: int = Field(default=2, description="Sessions with fewer turns are skipped as too small.")
    skip_one_question: bool = Field(
        default=True,
        description="Skip a session that is one short single-line prompt answered without any tool call "
        "(it has nothing for the report's stages; it still shows in the session list).",
    )


class RedactionConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    extra_patterns: dict[str, str] = Field(default_factory=dict, description="rule name -> regex")
    allowlist: list[str] = Field(default_factory=list, description="Exact strings never redacted.")


class ReportConfig(BaseModel):
    """How much of the day the report shows: caps per section for a day of ``base_sessions`` sessions.

    A cap scales with the sessions (a day of 12 sessions: x1.5; of 6: x0.75), between ``min_scale`` and
    ``max_scale`` times its value, so a short day shows fewer items, as the reference reports do. Items past a
    cap are kept in report.json and offered collapsed in the HTML.
    """

    model_config = ConfigDict(extra="forbid")

    tasks: int = Field(default=12, ge=1, description="Tasks shown for a day of up to base_sessions sessions.")
    issues: int = Field(default=10, ge=1)
    human_vs_ai: int = Field(default=6, ge=1, description="Human-vs-AI topics shown.")
    ai_limitations: int = Field(default=8, ge=1, description="AI limitations shown.")
    takeaways: int = Field(default=10, ge=1)
    base_sessions: int = Field(
        default=8, ge=1, description="Days up to this many sessions use the caps as given."
    )
    max_scale: float = Field(
        default=2.0, ge=1.0, description="Caps grow with the sessions up to this factor."
    )
    min_scale: float = Field(
        default=0.6, gt=0.0, le=1.0, description="Caps shrink with fewer sessions down to this factor."
    )
    ask_single_session_projects: bool = Field(
        default=False,
        description="Send a `projects` request for a project with one session on the day too; by default its "
        "entry is that session's title, status and summary (a request would only restate them).",
    )

    def caps(self, sessions: int) -> dict[str, int]:
        """Section -> cap for a day of ``sessions`` sessions."""
        scale = min(max(sessions / self.base_sessions, self.min_scale), self.max_scale)
        names = ("tasks", "issues", "human_vs_ai", "ai_limitations", "takeaways")
        return {name: int(getattr(self, name) * scale + 0.5) for name in names}


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timezone: str | None = Field(default=None, description="IANA zone; a day is a local date in it.")
    devices: dict[str, DeviceConfig] = Field(default_factory=dict)
    prices: dict[str, PriceOverride] = Field(default_factory=dict)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    chunk: ChunkConfig = Field(default_factory=ChunkConfig)
    redaction: RedactionConfig = Field(default_factory=RedactionConfig)
    report: ReportConfig = Field(default_factory=ReportConfig)
    cache_path: Path | None = Field(default=None, description="SQLite cache+ledger; default: user cache dir.")
    out_dir: Path = Field(default=Path("reports"))
    lang: str = "en"
    projects: dict[str, str] = Field(
        default_factory=dict,
        description="[projects] aliases: a folder or worktree name -> the project it belongs to "
        '("spotter-fum" = "spotter"); the report groups sessions by the resolved name.',
    )
    source: Path | None = Field(default=None, description="The file this config was read from.")
