"""Model answers are redacted before anything stores, re-asks, quotes or renders them (issue 10, point 2):
live calls, batch/imported results and old cache hits, with the secrets counted."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest
from daily_report.engine.execute import LLMSender
from daily_report.engine.plan import Planned
from daily_report.llm.answer_redaction import AnswerRedactor
from daily_report.llm.answers import AnswerTally, Sink, accept
from daily_report.llm.base import BatchStatus, RawAnswer, ToolCall
from daily_report.llm.cache import Cache
from daily_report.llm.structured import StructuredOutputError, call_cached, call_structured
from daily_report.llm.types import LLMResponse, Usage
from daily_report.text.redact import Redactor

from tests.stub_llm_kit import Facts, Sleeps, make_request

KEY = "sk-ant-api03-" + "Zx9_Kq2-" * 11 + "AbCdEfGh"
PASSWORD_URL = "postgres://app:Pw-9xK2@mQ@db.internal/app"


def answer_json(title: str, steps: Sequence[str] = ("ran it",)) -> str:
    return json.dumps({"title": title, "status": "done", "steps": list(steps), "turns": 3})


class ScriptedProvider:
    """Answers from a script, one per call, as a forced tool call (so re-asks send the call back)."""

    name = "scripted"
    default_model = "m"

    def __init__(self, answers: Iterable[str]) -> None:
        self.answers = list(answers)
        self.sent: list[list[dict[str, Any]]] = []

    def complete(self, request: Any, extra_messages: list[dict[str, Any]]) -> RawAnswer:
        self.sent.append(list(extra_messages))
        text = self.answers.pop(0)
        return RawAnswer(
            text=text,
            usage=Usage(input_tokens=10, output_tokens=5),
            model="m",
            tool_call=ToolCall(id="c1", name="facts", arguments=text),
        )

    def batch_request(self, request: Any, custom_id: str) -> dict[str, Any]:
        return {}

    def parse_batch_line(self, line: dict[str, Any]) -> tuple[str, RawAnswer | str]:
        return "", "no"

    def submit_batch_lines(self, lines: Sequence[dict[str, Any]]) -> str:
        return ""

    def batch_status(self, batch_id: str) -> BatchStatus:
        return BatchStatus(batch_id=batch_id, done=True, status="ended")

    def batch_results(self, batch_id: str) -> Iterable[dict[str, Any]]:
        return []


def stored_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_a_secret_the_model_writes_back_is_a_placeholder_in_output_raw_text_and_cache(tmp_path: Path) -> None:
    redactor = AnswerRedactor()
    provider = ScriptedProvider([answer_json(f"use {KEY}", [f"connect to {PASSWORD_URL}", "done"])])
    cache = Cache(tmp_path / "cache.sqlite3")
    request = make_request("anthropic")
    response = call_cached(provider, request, Facts, cache=cache, redactor=redactor, policy=Sleeps().policy())
    cache.close()
    assert response.output["title"] == "use [REDACTED:anthropic-key#1]"
    assert (
        response.output["steps"][0] == "connect to postgres://app:[REDACTED:url-password#1]@db.internal/app"
    )
    assert KEY not in response.raw_text and "Pw-9xK2" not in response.raw_text
    json.loads(response.raw_text)  # still JSON: redacted string by string
    data = stored_bytes(tmp_path / "cache.sqlite3")
    assert KEY.encode() not in data and b"Pw-9xK2" not in data and b"[REDACTED:anthropic-key#1]" in data
    assert redactor.counts == {"anthropic-key": 1, "url-password": 1}
    assert redactor.report_counts() == {"model-answer:anthropic-key": 1, "model-answer:url-password": 1}


def test_invalid_answers_are_redacted_in_reasks_and_in_the_error() -> None:
    bad = json.dumps({"title": f"key {KEY}", "status": "nope", "steps": [], "turns": 1})
    provider = ScriptedProvider([bad, bad])
    with pytest.raises(StructuredOutputError) as err:
        call_structured(provider, make_request("anthropic"), Facts, reasks=1, redactor=AnswerRedactor())
    assert KEY not in str(err.value) and KEY not in err.value.raw
    assert KEY not in json.dumps(provider.sent)  # the re-ask sent the redacted answer back
    assert "[REDACTED:anthropic-key#1]" in json.dumps(provider.sent)


def test_without_a_redactor_the_builtin_rules_still_apply() -> None:
    provider = ScriptedProvider([answer_json(f"use {KEY}")])
    response = call_structured(provider, make_request("anthropic"), Facts)
    assert KEY not in json.dumps(response.output) and KEY not in response.raw_text


def test_the_configured_allowlist_applies_to_answers() -> None:
    redactor = AnswerRedactor(Redactor(allowlist=[KEY]))
    response = call_structured(
        ScriptedProvider([answer_json(KEY)]), make_request("anthropic"), Facts, redactor=redactor
    )
    assert response.output["title"] == KEY and redactor.counts == {}


def test_batch_and_imported_answers_are_redacted_before_the_cache(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache.sqlite3")
    redactor = AnswerRedactor()
    request = make_request("anthropic")
    sink = Sink(cache=cache, redactor=redactor)
    raw = RawAnswer(text=answer_json(f"deployed with {KEY}"), usage=Usage(), model="m")
    tally = AnswerTally()
    assert accept(sink, (request, Facts), answer=raw, tally=tally)
    stored = cache.get(request.key())
    cache.close()
    assert stored is not None and stored.output["title"] == "deployed with [REDACTED:anthropic-key#1]"
    assert KEY.encode() not in stored_bytes(tmp_path / "cache.sqlite3")
    assert redactor.counts == {"anthropic-key": 1}


def test_an_old_cache_hit_holding_a_secret_is_redacted_before_use(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache.sqlite3")
    request = make_request("anthropic")
    old = LLMResponse(
        output={"title": f"t {KEY}", "status": "done", "steps": [], "turns": 1},
        raw_text=KEY,
        usage=Usage(),
        model="m",
    )
    cache.put(request.key(), request, old)  # written before answers were redacted
    redactor = AnswerRedactor()
    sender = LLMSender(cache=cache, ledger=None, provider=None, run_id="r", date="d", redactor=redactor)
    hit = sender.cached(Planned(call=None, request=request))  # type: ignore[arg-type]  # only the key is read
    cache.close()
    assert hit is not None and KEY not in json.dumps(hit.output) and KEY not in hit.raw_text
    assert redactor.counts == {"anthropic-key": 2}


def test_text_answers_and_quotes_stay_valid() -> None:
    redactor = AnswerRedactor()
    assert redactor.text(f"Sure: {KEY}") == "Sure: [REDACTED:anthropic-key#1]"
    tricky = json.dumps({"title": f'say "{KEY}" \\ ok', "steps": [KEY]})
    out = json.loads(redactor.text(tricky))
    assert out == {"title": 'say "[REDACTED:anthropic-key#1]" \\ ok', "steps": ["[REDACTED:anthropic-key#1]"]}
    assert redactor.text(answer_json("nothing secret")) == answer_json("nothing secret")  # untouched bytes
