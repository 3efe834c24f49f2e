"""Build the configured provider: config values, then CLI overrides."""

from __future__ import annotations

from daily_report.core.errors import ConfigError
from daily_report.llm.base import Provider
from daily_report.llm.providers import anthropic as anthropic_provider
from daily_report.llm.providers import openai as openai_provider
from daily_report.llm.providers import replay
from daily_report.llm.retry import RetryPolicy
from daily_report.llm.spec import ProviderSpec
from daily_report.schemas.config import LLMConfig

PROVIDERS: dict[str, ProviderSpec] = {
    spec.name: spec for spec in (anthropic_provider.SPEC, openai_provider.SPEC, replay.SPEC)
}
"""The one list of providers: adding one is its module (with its ``SPEC``) and one entry here."""


def provider_spec(name: str) -> ProviderSpec:
    """The declaration of provider ``name``; an unknown name is a ConfigError listing the valid ones."""
    try:
        return PROVIDERS[name]
    except KeyError:
        raise ConfigError(f"unknown provider {name!r}: use one of {', '.join(PROVIDERS)}") from None


def make_provider(
    llm_config: LLMConfig | None = None,
    *,
    provider: str | None = None,
    model: str | None = None,
    base_url: str | None = None,
) -> Provider:
    """The provider named by ``provider`` (else the config). The model to use is ``model_for``'s answer.

    Keys are read lazily (on the first send), so export and dry runs need none.
    """
    cfg = llm_config or LLMConfig()
    name = provider or cfg.provider
    url = base_url or cfg.base_url
    return provider_spec(name).build(cfg, url, model)


def model_for(
    p: Provider, llm_config: LLMConfig | None = None, *, model: str | None = None, provider: str | None = None
) -> str:
    """The model to put in requests: the CLI's, else the config's (if it is for this provider), else the
    provider's default."""
    if model:
        return model
    cfg = llm_config or LLMConfig()
    if cfg.model and (provider is None or provider == cfg.provider):
        return cfg.model
    return p.default_model


def retry_policy(llm_config: LLMConfig | None = None) -> RetryPolicy:
    """The transport retry policy with the config's bounds."""
    cfg = llm_config or LLMConfig()
    return RetryPolicy(max_attempts=cfg.retry_attempts, max_total_s=cfg.retry_max_s)
