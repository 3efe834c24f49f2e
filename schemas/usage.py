"""The Token Usage section: what the agents spent on a day (no LLM). Shape fixed by issue 2's `usage --json`.

``agents`` maps each agent's name to its usage; every registered agent is listed (in registry order) even
on a day it did not run. A row's token counts are the agent's own (its adapter's ``token_fields``, e.g.
cache writes for one agent, reasoning for another) and appear first, flat, as in issue 2's JSON; the
figures every agent has follow, then the rates of the totals (e.g. ``cache_hit_rate``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer, model_validator

_COMMON = ("total_tokens", "cost_usd", "responses", "cost_share")


class TokenRow(BaseModel):
    """One usage row (a model, a device, or an agent's totals)."""

    tokens: dict[str, int] = Field(
        default_factory=dict, description="The agent's token counts by name, in its adapter's order."
    )
    total_tokens: int = Field(default=0, description="As the agent's adapter defines it (Agent.total_of).")
    cost_usd: float | None = Field(default=0.0, description="None when any part could not be priced.")
    responses: int = 0
    cost_share: float | None = Field(
        default=None, description="Share of the agent's priced cost (model rows)."
    )
    rates: dict[str, float | None] = Field(
        default_factory=dict, description="Rates of the totals by name (fractions, never whole numbers)."
    )

    @model_validator(mode="before")
    @classmethod
    def _from_flat(cls, data: Any) -> Any:
        """The flat JSON back into its parts: the common figures by name; of the rest, whole numbers are
        token counts and the others (fractions, null) rates, whatever an agent names them."""
        if not isinstance(data, dict) or "tokens" in data or "rates" in data:
            return data
        tokens: dict[str, Any] = {}
        rates: dict[str, Any] = {}
        out: dict[str, Any] = {}
        for key, value in data.items():
            if key in _COMMON:
                out[key] = value
            elif isinstance(value, int) and not isinstance(value, bool):
                tokens[key] = value
            else:
                rates[key] = value
        return {**out, "tokens": tokens, "rates": rates}

    @model_serializer(mode="wrap")
    def _to_flat(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        tokens, rates = data.pop("tokens", {}), data.pop("rates", {})
        return {**tokens, **data, **rates}

    def count(self, key: str) -> int:
        return self.tokens.get(key, 0)


class AgentUsage(BaseModel):
    models: dict[str, TokenRow] = Field(default_factory=dict)
    devices: dict[str, TokenRow] = Field(default_factory=dict)
    totals: TokenRow = Field(default_factory=TokenRow)

    def used(self) -> bool:
        """Anything spent that day (an agent without usage gets no tables)."""
        return bool(self.models) or self.totals.total_tokens > 0 or self.totals.responses > 0


AgentsUsage = dict[str, AgentUsage]  # agent name -> its usage, in registry order


class UsageReport(BaseModel):
    date: str
    timezone: str
    agents: AgentsUsage = Field(default_factory=dict)
    total_cost_usd: float | None = 0.0
    unpriced_models: list[str] = Field(default_factory=list)
    priced_as: dict[str, str] = Field(
        default_factory=dict,
        description="Dated models genai-prices lacks, priced at their family's price: model -> family.",
    )
    skipped_lines: int = Field(
        default=0, description="Malformed lines + truncated last lines + unknown record types, in all."
    )
    skipped_by_kind: dict[str, int] = Field(
        default_factory=dict, description="kind (malformed, truncated, unknown_type) -> lines skipped"
    )
    skipped_files: dict[str, int] = Field(default_factory=dict, description="path -> lines skipped there")
    unread_files: dict[str, str] = Field(
        default_factory=dict, description="path -> why the file could not be read (its usage is missing)"
    )
    notes: list[str] = Field(
        default_factory=list, description="Caveats, e.g. subagent output is a lower bound."
    )
