"""One call from a normalized session to the chunks the LLM stages read: condense, redact, chunk."""

from __future__ import annotations

from datetime import tzinfo

from daily_report.schemas.chunk import Chunk
from daily_report.schemas.transcript import Session
from daily_report.text.chunking import chunk_session
from daily_report.text.condense import condense_session
from daily_report.text.digest import DIGEST_TOKENS
from daily_report.text.redact import Redactor


def prepare_chunks(
    session: Session,
    *,
    redactor: Redactor,
    budget_tokens: int,
    max_turn_tokens: int,
    digest_tokens: int = DIGEST_TOKENS,
    zone: tzinfo | None = None,
) -> list[Chunk]:
    """The session's condensed, redacted text as chunks of at most ``budget_tokens`` o200k tokens.

    Placeholders are numbered per session (a fork of ``redactor``), so a session's chunks are the same
    bytes whichever other sessions are in the run (``--session``, a new session earlier in the day): that
    keeps the LLM cache hitting. ``redactor`` accumulates the per-rule counts of every session it is given
    (for the report footer). ``zone`` only sets the clock of the time hints; None shows UTC.
    """
    local = redactor.fork()
    turns = condense_session(session, redactor=local, max_turn_tokens=max_turn_tokens, zone=zone)
    redactor.absorb(local)
    return chunk_session(session, turns, budget_tokens=budget_tokens, digest_tokens=digest_tokens)
