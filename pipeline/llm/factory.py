"""Build the configured provider: config values, then CLI overrides."""

from __future__ import annotations

from pipeline.errors import ConfigError
from pipeline.llm.base import Provider
from pipeline.llm.retry import RetryPolicy
from schemas.config import LLMConfig

PROVIDERS = ("anthropic", "openai", "replay")


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
    if name == "anthropic":
        from pipeline.llm.anthropic_provider import AnthropicProvider

        return AnthropicProvider(
            base_url=url, timeout_s=cfg.timeout_s, structured=cfg.structured, strict_tools=cfg.strict_tools
        )
    if name == "openai":
        from pipeline.llm.openai_provider import OpenAIProvider

        return OpenAIProvider(base_url=url, timeout_s=cfg.timeout_s)
    if name == "replay":
        from pipeline.llm.replay import ReplayProvider

        return ReplayProvider(cfg.replay_dir, model=model)
    raise ConfigError(f"unknown provider {name!r}: use one of {', '.join(PROVIDERS)}")


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
