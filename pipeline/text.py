"""One call from a normalized session to the chunks the LLM stages read: condense, redact, chunk."""

from __future__ import annotations

from datetime import tzinfo

from pipeline.chunking import chunk_session
from pipeline.condense import condense_session
from pipeline.digest import DIGEST_TOKENS
from pipeline.redact import Redactor
from schemas.chunk import Chunk
from schemas.transcript import Session


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
