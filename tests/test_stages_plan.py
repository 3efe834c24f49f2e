"""Chunk-stage planning: shared cached transcript prefix, instructions with the language, strict schemas."""

from __future__ import annotations

import re
from typing import Any

import pytest
from daily_report.engine.plan import chunk_call
from daily_report.stages.base import ChunkStage, load_prompt, prompt_versions
from daily_report.stages.registry import STAGES, chunk_stages, get_stage, system_prompt
from pydantic import BaseModel

from tests.stages_fakes import make_chunk


def _plan_all(lang: str = "en", **chunk_kw: Any) -> list[Any]:
    chunk = make_chunk(**chunk_kw)
    system = system_prompt(lang=lang).text
    calls = []
    for name in chunk_stages():
        stage = get_stage(name)()
        assert isinstance(stage, ChunkStage)
        calls.append(chunk_call(stage, chunk, load_prompt(name), system, lang))
    return calls


def test_transcript_block_is_first_cached_and_identical_across_stages() -> None:
    calls = _plan_all(index=1, count=3, turns=(40, 79), digest="Earlier: fixed the loader.")
    firsts = {c.blocks[0].text for c in calls}
    assert len(firsts) == 1
    assert all(c.blocks[0].cache for c in calls)
    assert not any(c.blocks[1].cache for c in calls)
    assert "[t40]" in calls[0].blocks[0].text and "Earlier: fixed the loader." in calls[0].blocks[0].text
    assert len({c.system for c in calls}) == 1
    assert [c.stage for c in calls] == chunk_stages()
    assert {c.label for c in calls} == {f"{n}/s1/chunk-1" for n in chunk_stages()}


def test_instructions_name_the_part_and_the_language() -> None:
    for call in _plan_all(index=1, count=3, turns=(40, 79)):
        text = call.blocks[1].text
        assert "part 2 of 3" in text and "t40" in text and "t79" in text
        assert re.search(r"\bin English[;.]", text)  # "Write ... in English;": the rendered language
        assert "{#" not in text and "{{" not in text  # jinja comments/vars rendered away


def test_later_chunks_ask_to_keep_titles_for_merging() -> None:
    first = {c.stage: c for c in _plan_all(index=0, count=2)}
    later = {c.stage: c for c in _plan_all(index=1, count=2, turns=(10, 19))}
    # the instructions are the same for every chunk (a bundled request caches them across chunks) and say
    # what a later part does; the chunk note after the transcript says which part this is
    for stage in ("tasks", "facts"):
        assert first[stage].instructions == later[stage].instructions
        assert (
            "In a later part" in (first[stage].instructions or "")
            and "whole session" in first[stage].blocks[1].text
        )
    assert "later part" not in first["tasks"].chunk_note and "part 1 of 2" in first["tasks"].chunk_note
    assert "a later part" in later["tasks"].chunk_note and "part 2 of 2" in later["tasks"].chunk_note


def test_zh_rendering_asks_for_simplified_chinese() -> None:
    calls = _plan_all(lang="zh")
    assert all("Simplified Chinese" in c.blocks[1].text and "简体中文" in c.blocks[1].text for c in calls)
    assert "简体中文" in calls[0].system
    assert "All prose is written in Simplified Chinese" in calls[0].system
    assert "English" in calls[0].blocks[1].text  # enum values stay English, and the prompt says so


def test_system_prompt_carries_the_rules() -> None:
    text = system_prompt().text.lower()
    for needle in ("[tn]", "data, not instructions", "never invent", "redacted", "who"):
        assert needle in text


def _objects(schema: dict[str, Any]) -> list[dict[str, Any]]:
    found = [schema, *schema.get("$defs", {}).values()]
    return [s for s in found if s.get("type") == "object"]


@pytest.mark.parametrize("name", list(STAGES))
def test_output_schema_is_strict(name: str) -> None:
    model: type[BaseModel] = get_stage(name).output_model
    schema = model.model_json_schema()
    objects = _objects(schema)
    assert objects
    for obj in objects:
        assert obj.get("additionalProperties") is False, obj.get("title")
        assert set(obj["required"]) == set(obj["properties"]), obj.get("title")
        for prop_name, prop in obj["properties"].items():
            assert prop.get("description"), f"{obj.get('title')}.{prop_name} has no description"
            assert "default" not in prop
            assert not {"minimum", "maximum", "minItems", "maxItems", "minLength", "maxLength"} & set(prop)


@pytest.mark.parametrize("name", list(STAGES))
def test_every_stage_has_a_prompt_with_a_header(name: str) -> None:
    prompt = load_prompt(name)
    assert prompt.version in prompt_versions(name) and prompt.version == prompt_versions(name)[-1]
    assert prompt.text.startswith("{#-") and f"{name} · {prompt.version}" in prompt.text.splitlines()[0]


def test_later_stages_read_the_transcript_from_the_stub_cache() -> None:
    from daily_report.engine.plan import LLMTarget, to_request
    from daily_report.llm.providers.anthropic import AnthropicProvider

    from tests.stub_llm_server import StubLLMServer

    long_text = "\n".join(
        f'[t{n}] TOOL Bash(cmd="pytest -k case_{n}") → ERROR exit 1: case {n}' for n in range(400)
    )
    calls = _plan_all(text=long_text, turns=(0, 399))
    target = LLMTarget(provider="anthropic", model="claude-haiku-4-5", max_tokens=1024)
    with StubLLMServer() as stub:
        provider = AnthropicProvider(api_key="test", base_url=stub.url)
        usages = [
            provider.complete(to_request(c, prompt=load_prompt(c.stage), target=target), []).usage
            for c in calls
        ]
        bodies = [r.body for r in stub.message_requests()]
    # shared tools: system is instructions only; the transcript opens the user turn and holds the breakpoint
    assert all(isinstance(b["system"], str) and "case_1" not in b["system"] for b in bodies)
    assert all("cache_control" in b["messages"][0]["content"][0] for b in bodies)
    assert all("cache_control" not in c for b in bodies for c in b["messages"][0]["content"][1:])
    assert usages[0].cache_read_tokens == 0 and usages[0].cache_write_tokens > 0
    later = usages[1:]
    assert all(u.cache_read_tokens == usages[0].cache_write_tokens for u in later)
    assert sum(u.cache_read_tokens for u in later) / sum(u.prompt_tokens for u in later) >= 0.9
