"""Global usage dedup across files and devices (transcript-formats.md §1.11 and §2.8).

Events must come in config order: devices in config order, roots in order, files in discovery order.
Each agent's events go through the rule its adapter declares (``Agent.dedup``, from ``usage.rules``):
e.g. Claude Code keeps the best of the lines written for one response, Codex drops a delta seen in an
earlier file. ``<synthetic>`` never counts, whatever the agent.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

import daily_report.sources.agents as agents
from daily_report.usage.events import EventLike

SYNTHETIC = "<synthetic>"
E = TypeVar("E", bound=EventLike)


def dedup_events(events: Iterable[E]) -> list[E]:
    """The global rule above: each agent's events in first-seen order, agents in registry order.

    Takes ``daily_report.schemas.transcript.UsageEvent`` (or the index's light ``Ev``) and returns the same kind; an
    event of an agent no adapter declares is an error (``agents.agent_named``).
    """
    by_agent: dict[str, list[E]] = {}
    for e in events:
        if e.model == SYNTHETIC:
            continue
        group = by_agent.get(e.agent)
        if group is None:
            group = by_agent[e.agent] = []
        group.append(e)
    out: list[E] = []
    for name in sorted(by_agent, key=agents.rank):
        out += agents.agent_named(name).dedup(by_agent[name])
    return out
