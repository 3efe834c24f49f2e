"""What the engine may know about a provider without loading its SDK: the declaration each provider module
makes (``SPEC``) and the one registry (``daily_report.llm.factory.PROVIDERS``) lists.

Vendor knowledge stays in the vendor's module: how its prompt cache is billed and from what prefix length,
whether it is free, which structured-output modes it has, and how it is built from the ``[llm]`` config.
The provider object itself says which of its SDK's exceptions are transport failures and which of those are
worth another attempt (``transport_errors()`` and ``is_transient(exc)``, see ``daily_report.llm.retry``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from daily_report.llm.base import Provider
from daily_report.schemas.config import LLMConfig

Build = Callable[[LLMConfig, str | None, str | None], Provider]
"""(config, base_url or None, model or None) -> a provider; keys are read on the first send."""


@dataclass(frozen=True)
class ProviderSpec:
    name: str
    default_model: str
    build: Build
    free: bool = False  # answers cost nothing (replay): no price lookup, "free" in the report
    stores_answers: bool = True  # answers go to the cache (replay's are files already)
    cache_writes_billed: bool = False  # writing a prompt-cache prefix is billed (Anthropic), not automatic
    min_cacheable: int = 1024  # the shortest prefix (tokens) the provider caches
    cache_floors: tuple[tuple[str, int], ...] = ()  # (part of a model name, its own floor), first match wins
    structured_modes: tuple[str, ...] = ("native",)

    def min_cacheable_for(self, model: str) -> int:
        name = model.lower().replace(".", "-")
        return next((floor for part, floor in self.cache_floors if part in name), self.min_cacheable)
