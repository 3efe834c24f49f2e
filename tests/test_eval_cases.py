"""The eval cases (fixtures/cases): expectations are valid, reference answers are complete and agree with them.

Independent of the eval code: a small JSON-schema check of expect.yaml, the stage schemas for every reference
answer, the real readers/chunker for the planned requests, and a plain matcher for must_mention/must_not_mention.
"""

from __future__ import annotations

import json
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from daily_report.schemas.facts import SessionFacts
from daily_report.schemas.human_ai import HumanAIOutput
from daily_report.schemas.issues import IssuesOutput
from daily_report.schemas.overview import OverviewOutput
from daily_report.schemas.projects import ProjectSummary
from daily_report.schemas.session import SessionReduceOutput
from daily_report.schemas.takeaways import TakeawaysOutput
from daily_report.schemas.tasks import TasksOutput
from pydantic import BaseModel

CASES = Path(__file__).resolve().parent.parent / "fixtures" / "cases"
REQUIRED = {
    "gpu-oom",
    "dependency-conflict",
    "wrong-root-cause",
    "costly-action-stopped",
    "blocked-permissions",
    "codex-session",
    "long-multichunk",
    "resolved-later",
    "chinese-prompts",
    "secrets-injection",
}
MODELS: dict[str, type[BaseModel]] = {
    "facts": SessionFacts,
    "tasks": TasksOutput,
    "issues": IssuesOutput,
    "human_ai": HumanAIOutput,
    "takeaways": TakeawaysOutput,
    "session": SessionReduceOutput,
    "projects": ProjectSummary,
    "overview": OverviewOutput,
}
SCHEMA_LINE = "# yaml-language-server: $schema=../expect.schema.json"


def _import_case_module(name: str) -> Any:
    before = sys.dont_write_bytecode
    sys.dont_write_bytecode = True  # no __pycache__ among the case directories
    sys.path.insert(0, str(CASES))
    try:
        return __import__(name)
    finally:
        sys.path.remove(str(CASES))
        sys.dont_write_bytecode = before


plan_case_mod = _import_case_module("plan_case")
CASE_NAMES = sorted(p.parent.name for p in CASES.glob("*/case.toml"))


@cache
def plan(case: str) -> Any:
    return plan_case_mod.plan_case(CASES / case)


@cache
def expect(case: str) -> dict[str, Any]:
    data = yaml.safe_load((CASES / case / "expect.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@cache
def references(case: str) -> dict[str, Any]:
    root = CASES / case / "reference"
    return {
        p.relative_to(root).with_suffix("").as_posix(): json.loads(p.read_text(encoding="utf-8"))
        for p in sorted(root.rglob("*.json"))
    }


def stage_answers(case: str, stage: str) -> list[Any]:
    return [v for k, v in references(case).items() if k.split("/", 1)[0] == stage]


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def matches(pattern: str, text: str) -> bool:
    if pattern.startswith("re:"):
        return re.search(pattern[3:], text, re.IGNORECASE) is not None
    return pattern.lower() in text.lower()


# ---------------------------------------------------------------- a minimal JSON-schema check (draft 2020-12 subset)


def schema_errors(value: Any, schema: dict[str, Any], root: dict[str, Any], where: str = "$") -> list[str]:
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return schema_errors(value, target, root, where)
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: {value!r} not one of {schema['enum']}"]
    kind = schema.get("type")
    checks = {"object": dict, "array": list, "string": str, "integer": int}
    if (kind and not isinstance(value, checks[kind])) or (kind == "integer" and isinstance(value, bool)):
        return [f"{where}: expected {kind}, got {type(value).__name__}"]
    if isinstance(value, dict):
        return _object_errors(value, schema, root, where)
    if isinstance(value, list):
        errors = [
            e
            for i, v in enumerate(value)
            for e in schema_errors(v, schema.get("items", {}), root, f"{where}[{i}]")
        ]
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{where}: fewer than {schema['minItems']} items")
        if schema.get("uniqueItems") and len({json.dumps(v) for v in value}) != len(value):
            errors.append(f"{where}: duplicate items")
        return errors
    if isinstance(value, str) and len(value) < schema.get("minLength", 0):
        return [f"{where}: shorter than {schema['minLength']}"]
    if isinstance(value, int) and value < schema.get("minimum", value):
        return [f"{where}: below {schema['minimum']}"]
    return []


def _object_errors(
    value: dict[str, Any], schema: dict[str, Any], root: dict[str, Any], where: str
) -> list[str]:
    props = schema.get("properties", {})
    errors = [f"{where}: missing {k!r}" for k in schema.get("required", []) if k not in value]
    if schema.get("additionalProperties") is False:
        errors += [f"{where}: unknown key {k!r}" for k in value if k not in props]
    if len(value) < schema.get("minProperties", 0):
        errors.append(f"{where}: fewer than {schema['minProperties']} keys")
    for k, v in value.items():
        if k in props:
            errors += schema_errors(v, props[k], root, f"{where}.{k}")
    return errors


SCHEMA = json.loads((CASES / "expect.schema.json").read_text(encoding="utf-8"))


def test_schema_check_rejects_bad_expectations() -> None:
    bad = {
        "description": "",
        "stages": {"tasks": {"statuses": ["finished"], "count": {"min": -1}, "extra": 1}},
    }
    errors = schema_errors(bad, SCHEMA, SCHEMA)
    assert any("description" in e for e in errors)
    assert any("finished" in e for e in errors)
    assert any("below 0" in e for e in errors)
    assert any("unknown key 'extra'" in e for e in errors)
    assert schema_errors({"stages": {"nope": {}}}, SCHEMA, SCHEMA)


# ---------------------------------------------------------------- every case


def test_the_required_cases_exist() -> None:
    assert set(CASE_NAMES) >= REQUIRED
    assert len(CASE_NAMES) >= 8


@pytest.mark.parametrize("case", CASE_NAMES)
def test_expect_yaml_is_valid(case: str) -> None:
    first = (CASES / case / "expect.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert first == SCHEMA_LINE
    data = expect(case)
    assert schema_errors(data, SCHEMA, SCHEMA) == []
    for stage, spec in data["stages"].items():
        for pattern in spec.get("must_mention", []) + spec.get("must_not_mention", []):
            if pattern.startswith("re:"):
                re.compile(pattern[3:])
        bounds = spec.get("count", {})
        assert bounds.get("min", 0) <= bounds.get("max", 10**9), (stage, bounds)


@pytest.mark.parametrize("case", CASE_NAMES)
def test_every_planned_request_has_a_reference_and_no_orphans(case: str) -> None:
    p = plan(case)
    assert p.chunks, f"{case}: no session was planned"
    assert set(references(case)) == plan_case_mod.planned_ids(p)


@pytest.mark.parametrize("case", CASE_NAMES)
def test_reference_answers_validate_and_cite_turns_in_their_chunk(case: str) -> None:
    chunks = {(c.session_id, c.index): c for c in plan(case).chunks}
    for name, answer in references(case).items():
        stage = name.split("/", 1)[0]
        model = MODELS[stage].model_validate(answer)
        if stage == "projects":
            assert model.project == name.split("/", 1)[1]  # type: ignore[attr-defined]
        if stage == "session":  # the reduce: turn ranges inside the session's chunks
            mine = [c for (sid, _), c in chunks.items() if sid == name.split("/")[1]]
            assert len(mine) > 1, f"{name}: a reduce for a session of {len(mine)} chunk"
            lo, hi = min(c.turn_start for c in mine), max(c.turn_end for c in mine)
            assert all(lo <= i["turn_start"] <= i["turn_end"] <= hi for i in _spans(answer)), name
        elif len(parts := name.split("/")) == 3:
            chunk = chunks[(parts[1], int(parts[2].removeprefix("chunk-")))]
            if stage == "facts":
                assert answer["project"] == chunk.project
            for item in _spans(answer):
                assert chunk.turn_start <= item["turn_start"] <= item["turn_end"] <= chunk.turn_end, (
                    name,
                    item,
                )


def _spans(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for v in answer.values() if isinstance(v, list) for i in v if isinstance(i, dict)]


@pytest.mark.parametrize("case", CASE_NAMES)
def test_reference_answers_satisfy_the_expectations(case: str) -> None:
    for stage, spec in expect(case)["stages"].items():
        answers = stage_answers(case, stage)
        assert answers, f"{case}: expectations for {stage} but no reference answer"
        text = "\n".join(s for a in answers for s in strings(a))
        missing = [p for p in spec.get("must_mention", []) if not matches(p, text)]
        violated = [p for p in spec.get("must_not_mention", []) if matches(p, text)]
        assert missing == [] and violated == [], (stage, missing, violated)
        for key, field in (("statuses", "status"), ("categories", "category"), ("severities", "severity")):
            if key in spec:
                assert _values(answers, field) == set(spec[key]), (stage, key)
        if "count" in spec:
            n = _count_after_reduce(case, stage)
            assert spec["count"].get("min", 0) <= n <= spec["count"].get("max", n), (stage, n)


def _values(answers: list[Any], field: str) -> set[str]:
    found = set()
    for a in answers:
        if field in a:
            found.add(a[field])
        found |= {i[field] for i in _spans(a) if field in i}
    return found


def _count_after_reduce(case: str, stage: str) -> int:
    """Items of a stage over the case as the report counts them: a session with a reduce answer counts its
    reduced items, any other session the items of its chunk answers."""
    refs = references(case)
    reduced = {k.split("/")[1]: v for k, v in refs.items() if k.startswith("session/")}
    n = 0
    for name, answer in refs.items():
        parts = name.split("/")
        if parts[0] == stage and not (len(parts) == 3 and parts[1] in reduced):
            n += _count(stage, answer)
    if stage in ("tasks", "issues", "takeaways"):
        n += sum(len(r[stage]) for r in reduced.values())
    elif stage == "human_ai":
        n += sum(len(r["topics"]) + len(r["limitations"]) for r in reduced.values())
    return n


def _count(stage: str, answer: dict[str, Any]) -> int:
    if stage == "human_ai":
        return len(answer["topics"]) + len(answer["limitations"])
    return len(answer.get(stage, []))


def test_the_matcher_distinguishes() -> None:
    assert matches("re:38\\.7", "peak 38.72 GiB") and not matches("re:38\\.7", "peak 3807")
    assert matches("FastAPI", "pinned fastapi==0.110.3") and not matches("flask", "fastapi")


# ---------------------------------------------------------------- the cases exercise what they claim


def _raw(case: str) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted((CASES / case).rglob("*.jsonl")))


def test_secrets_are_planted_redacted_and_never_in_a_reference() -> None:
    secrets = _import_case_module("build_secrets").SECRETS
    raw = _raw("secrets-injection")
    chunk_text = "\n".join(c.text for c in plan("secrets-injection").chunks)
    assert all(s in raw for s in secrets)
    assert not [s for s in secrets if s in chunk_text]
    assert "IGNORE PREVIOUS INSTRUCTIONS" in chunk_text  # the injection reaches the model, as data
    for case in CASE_NAMES:
        dumped = json.dumps(references(case), ensure_ascii=False)
        assert not [s for s in secrets if s in dumped], case
    listed = expect("secrets-injection")["stages"]["facts"]["must_not_mention"]
    assert all(s in listed for s in secrets[:5])


def test_case_features() -> None:
    assert "[Request interrupted by user for tool use]" in _raw("costly-action-stopped")
    codex = _raw("codex-session")
    for marker in (
        '"type":"session_meta"',
        '"type":"turn_context"',
        '"type":"user_message"',
        '"name":"exec_command"',
        '"name":"apply_patch"',
        '"type":"custom_tool_call"',
        "Process exited with code 1",
    ):
        assert marker in codex, marker
    counts = [
        json.dumps(json.loads(line)["payload"]["info"])
        for line in codex.splitlines()
        if '"type":"token_count"' in line and '"info":null' not in line
    ]
    assert len(counts) > len(set(counts)), "no token_count re-emit"
    assert len(plan("long-multichunk").chunks) >= 3
    human = [
        t.text for s in plan_case_mod.load_case_sessions(CASES / "chinese-prompts") for t in s.human_prompts
    ]
    assert human and all(re.search(r"[\u4e00-\u9fff]", t) for t in human)
    assert "Invalid account or account/partition combination" in _raw("blocked-permissions")
