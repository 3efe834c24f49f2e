"""The session round of a run: after the chunk stages, before the day stages.

Every session stage (``scope == "session"``) plans at most one request per session from that session's
chunk answers; its answers replace the heuristic merges in ``run.results``, so the day stages and the report
read the sessions as they ended. A session whose reduce failed keeps its heuristic merges and is listed in
``run.heuristic_sessions`` (the report says so). A request that is pending (export / import rounds) blocks
the stage, and the day stages that read it wait, as they wait for chunk stages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from daily_report.core import log
from daily_report.engine.plan import Planned, to_request
from daily_report.engine.runstate import RunState, waits
from daily_report.stages.base import SessionParts

Execute = Callable[[RunState, Sequence[Planned]], None]


def session_parts(run: RunState, session_id: str, chunks: Sequence[Any], deps: Sequence[str]) -> SessionParts:
    """The chunks of one session and the answers of the stages in ``deps`` over them."""
    outputs = {d: run.chunk_outputs.get(d, {}).get(session_id, []) for d in deps}
    stages = {s.name: s for s in run.chunk_stages if s.name in deps}
    return SessionParts(chunks=list(chunks), outputs=outputs, stages=stages)


def plan_session_stage(stage: Any, run: RunState) -> list[tuple[Planned, SessionParts, Any]]:
    """(request, parts, session info) for every session the stage needs a request for."""
    prompt = run.prompts.by_stage[stage.name]
    out = []
    for sp in run.day.sessions:
        parts = session_parts(run, sp.info.session_id, sp.chunks, stage.depends_on)
        if not any(parts.outputs.values()):
            continue  # every chunk answer of this session failed: nothing to reduce
        call = stage.plan(sp.info, parts, prompt, run.prompts.system, run.day.lang)
        if call is not None:
            out.append(
                (
                    Planned(call=call, request=to_request(call, prompt=prompt, target=run.target)),
                    parts,
                    sp.info,
                )
            )
    return out


def run_session_stages(run: RunState, execute: Execute) -> None:
    """Plan, execute and apply every session stage of the run."""
    for stage in run.session_stages:
        if not run.day.sessions:
            continue
        if waits(run, stage):
            continue
        planned = plan_session_stage(stage, run)
        if planned:
            execute(run, [p for p, _, _ in planned])
        if any(run.outcomes[p.key].status == "pending" for p, _, _ in planned):
            run.blocked.add(stage.name)
            continue
        answers: dict[str, Any] = {}
        for p, parts, info in planned:
            response = run.outcomes[p.key].response
            if response is None:
                run.heuristic_sessions.append(info.session_id)
                log.warn(
                    f"{stage.name}: the reduce of session {info.session_id} failed; its {len(parts.chunks)} "
                    "chunks are merged by heuristics instead (titles, states and duplicates may be off)"
                )
                continue
            output = p.output_model.model_validate(response.output)
            answers[info.session_id] = output
            for dep, value in stage.apply(info, parts, output).items():
                run.results.setdefault(dep, {})[info.session_id] = value
        run.results[stage.name] = answers


def resolve_projects(run: RunState) -> None:
    """Each session's project as the report groups it (``daily_report.engine.project_names``): the alias table, a
    worktree path, or the (reduced) facts stage's project, instead of the folder name alone."""
    from daily_report.engine.project_names import resolve_project
    from daily_report.schemas.facts import SessionFacts
    from daily_report.stages.merge import as_model

    facts = run.results.get("facts", {})
    folders = [sp.session.project for sp in run.day.sessions]
    for sp in run.day.sessions:
        found = facts.get(sp.info.session_id)
        said = as_model(SessionFacts, found).project if found is not None else None
        resolved = resolve_project(
            sp.session.project,
            cwds=[sp.session.cwd, *sp.session.cwds],
            facts_project=said,
            aliases=run.config.projects,
            branch=sp.session.branch,
            known=[f for f in folders if f != sp.session.project],
        )
        if resolved != sp.info.project:
            log.progress(
                "project_resolved", session_id=sp.info.session_id, folder=sp.session.project, project=resolved
            )
            sp.info.project = resolved
