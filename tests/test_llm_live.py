"""Real API calls, one per provider. Skipped without a key (see the ``live`` marker in conftest)."""

from __future__ import annotations

import os

import pytest
from daily_report.llm.providers.anthropic import AnthropicProvider
from daily_report.llm.providers.openai import OpenAIProvider
from daily_report.llm.structured import call_structured

from tests.stub_llm_kit import Facts, make_request

pytestmark = pytest.mark.live


@pytest.mark.skipif(not os.environ.get("ANTHROPIC_API_KEY"), reason="needs ANTHROPIC_API_KEY")
def test_live_anthropic_structured_call() -> None:
    resp = call_structured(AnthropicProvider(), make_request("anthropic"), Facts)
    assert Facts.model_validate(resp.output) and resp.usage.output_tokens > 0
    assert resp.cost_usd is not None and resp.cost_usd > 0


@pytest.mark.skipif(not os.environ.get("OPENAI_API_KEY"), reason="needs OPENAI_API_KEY")
def test_live_openai_structured_call() -> None:
    resp = call_structured(OpenAIProvider(), make_request("openai"), Facts)
    assert Facts.model_validate(resp.output) and resp.usage.output_tokens > 0
    assert resp.cost_usd is not None and resp.cost_usd > 0
