"""Merge helpers shared by the stages: provenance, near-duplicate removal, joining prose.

Near-duplicates are found by normalized text similarity (stdlib difflib). When two items are the same,
the richer one is kept and the other's provenance is folded in: chunks and turn range when it comes from
the same session, its session id in ``also_in`` when it comes from another one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from difflib import SequenceMatcher
from typing import TypeVar

from daily_report.schemas.chunk import Chunk
from daily_report.schemas.common import TurnSpan
from daily_report.schemas.report import Provenance
from pydantic import BaseModel

T = TypeVar("T", bound=BaseModel)

DUP_THRESHOLD = 0.82
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
_SENTENCE_RE = re.compile(r"(?<=[.!?;])\s+|(?<=[。！？；])\s*")


def normalize(text: str) -> str:
    """Lower case, punctuation and symbols dropped, whitespace collapsed (letters, digits and CJK kept)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    kept = [ch if unicodedata.category(ch)[0] in "LN" else " " for ch in text]
    return " ".join("".join(kept).split())


def similarity(a: str, b: str) -> float:
    """0..1 similarity of two texts after ``normalize``; containment of a long text counts as 1."""
    na, nb = normalize(a), normalize(b)
    if not na or not nb:
        return 1.0 if na == nb else 0.0
    if na == nb:
        return 1.0
    short, long_ = (na, nb) if len(na) <= len(nb) else (nb, na)
    if len(short) >= 24 and short in long_:
        return 1.0
    matcher = SequenceMatcher(None, na, nb, autojunk=False)
    if matcher.real_quick_ratio() < DUP_THRESHOLD * 0.8 or matcher.quick_ratio() < DUP_THRESHOLD * 0.8:
        return matcher.quick_ratio()
    return matcher.ratio()


def numbers(text: str) -> set[str]:
    """The figures in a text ('5555', '0.313', '4.4.1')."""
    return set(_NUMBER_RE.findall(text))


def is_near_duplicate(a: str, b: str, threshold: float = DUP_THRESHOLD) -> bool:
    """Similar enough, and not told apart by their figures: 'port 5555' is not 'port 5556', but a text
    that only adds figures to the other may be the same item."""
    na, nb = numbers(a), numbers(b)
    if na and nb and not (na <= nb or nb <= na):
        return False
    return similarity(a, b) >= threshold


_STOP = frozenset(
    {
        "the",
        "and",
        "for",
        "with",
        "from",
        "into",
        "onto",
        "via",
        "per",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "an",
        "a",
    }
)


def content_words(text: str) -> set[str]:
    """Words that carry meaning, cut to 5 characters (a light stem: 'conversion' ~ 'convert')."""
    return {
        w[:5]
        for w in normalize(text).split()
        if w not in _STOP and (len(w) >= 3 or any(c.isdigit() for c in w))
    }


def word_overlap(a: str, b: str) -> float:
    """Shared content words over the smaller text's content words (0 when either has fewer than 3)."""
    wa, wb = content_words(a), content_words(b)
    if min(len(wa), len(wb)) < 3:
        return 0.0
    return len(wa & wb) / min(len(wa), len(wb))


CONTINUED_OVERLAP = 0.75


def continued_by(key: Callable[[T], str]) -> Callable[[T, T], bool]:
    """``same`` for ``dedupe``: a later chunk's item going on with an earlier one under other words —
    most of its content words shared, and no figure telling them apart. Never within one chunk."""

    def same(earlier: T, later: T) -> bool:
        if not newer(later, earlier):
            return False
        a, b = key(earlier), key(later)
        na, nb = numbers(a), numbers(b)
        if na and nb and not (na <= nb or nb <= na):
            return False
        return word_overlap(a, b) >= CONTINUED_OVERLAP

    return same


def clamp_span(chunk: Chunk, span: TurnSpan) -> tuple[int, int]:
    """The item's turn range clamped to the chunk's range, in order."""
    lo, hi = chunk.turn_start, max(chunk.turn_start, chunk.turn_end)
    start = min(max(span.turn_start, lo), hi)
    end = min(max(span.turn_end, lo), hi)
    return (start, end) if start <= end else (end, start)


def provenance(chunk: Chunk, span: TurnSpan) -> Provenance:
    """Where a chunk-stage item comes from: the chunk's session and the item's clamped turn range."""
    start, end = clamp_span(chunk, span)
    return Provenance(
        device=chunk.device,
        session_id=chunk.session_id,
        agent=chunk.agent,
        project=chunk.project,
        turn_start=start,
        turn_end=end,
        chunks=[chunk.index],
    )


def reduced_provenance(chunks: Sequence[Chunk], span: TurnSpan) -> Provenance:
    """An item of a reduced session: its turn range clamped to the session's, the chunks it overlaps."""
    lo, hi = chunks[0].turn_start, max(chunks[0].turn_start, chunks[-1].turn_end)
    start, end = sorted((min(max(span.turn_start, lo), hi), min(max(span.turn_end, lo), hi)))
    overlapping = [c.index for c in chunks if c.turn_start <= end and start <= c.turn_end]
    first = chunks[0]
    return Provenance(
        device=first.device,
        session_id=first.session_id,
        agent=first.agent,
        project=first.project,
        turn_start=start,
        turn_end=end,
        chunks=overlapping or [first.index],
    )


def reduced_items(chunks: Sequence[Chunk], items: Iterable[TurnSpan], item_model: type[T]) -> list[T]:
    """Items of a session reduce's answer as report items with provenance over the session's chunks."""
    out = []
    for item in items:
        prov = reduced_provenance(chunks, item)
        fields = item.model_dump() | {"turn_start": prov.turn_start, "turn_end": prov.turn_end}
        out.append(item_model.model_validate(fields | {"provenance": prov}))
    return out


def span(item: TurnSpan) -> str:
    """'t3-t9': an item's turn range in compact notes."""
    return f"t{item.turn_start}-t{item.turn_end}"


def as_model(model: type[T], value: object) -> T:
    """``value`` as an instance of ``model`` (a model instance of any class, or a dict)."""
    if isinstance(value, model):
        return value
    if isinstance(value, BaseModel):
        value = value.model_dump()
    return model.model_validate(value)


def report_items(
    outputs: Iterable[tuple[Chunk, BaseModel]],
    *,
    attr: str,
    item_model: type[T],
    output_model: type[BaseModel],
) -> list[T]:
    """The items in ``output.<attr>`` of every chunk, as report items with provenance, in chunk order.

    The item's own turn range is the clamped one, so item and provenance always agree.
    """
    out: list[T] = []
    for chunk, output in outputs:
        for item in getattr(as_model(output_model, output), attr):
            prov = provenance(chunk, item)
            fields = item.model_dump() | {"turn_start": prov.turn_start, "turn_end": prov.turn_end}
            out.append(item_model.model_validate(fields | {"provenance": prov}))
    return out


def combine_provenance(keep: Provenance, other: Provenance) -> Provenance:
    """``keep`` widened by ``other``: same session → chunks and turn range; else → ``also_in`` (and
    ``also_on`` for another device), so a merged item keeps both provenances."""
    if other.session_id == keep.session_id and other.device == keep.device:
        return keep.model_copy(
            update={
                "turn_start": min(keep.turn_start, other.turn_start),
                "turn_end": max(keep.turn_end, other.turn_end),
                "chunks": sorted(set(keep.chunks) | set(other.chunks)),
                "also_in": _union(keep.also_in, other.also_in),
                "also_on": _union(keep.also_on, other.also_on),
            }
        )
    devices = [d for d in [other.device, *other.also_on] if d != keep.device]
    return keep.model_copy(
        update={
            "also_in": _union(keep.also_in, [other.session_id, *other.also_in]),
            "also_on": _union(keep.also_on, devices),
        }
    )


def _union(a: Sequence[str], b: Sequence[str]) -> list[str]:
    out = list(a)
    out.extend(x for x in b if x not in out)
    return out


def richness(item: BaseModel, fields: Sequence[str]) -> int:
    """How much an item says: the length of its text fields."""
    return sum(len(str(getattr(item, f, "") or "")) for f in fields)


def dedupe(
    items: Sequence[T],
    *,
    key: Callable[[T], str],
    fields: Sequence[str],
    threshold: float = DUP_THRESHOLD,
    combine: Callable[[T, T], T] | None = None,
    same: Callable[[T, T], bool] | None = None,
) -> list[T]:
    """Remove near-duplicates (by ``key`` text), keeping the richer item with both provenances.

    Items must carry a ``provenance`` field. ``combine(earlier, later)`` may merge two duplicates itself;
    by default the richer of the two is kept. ``same(earlier, later)`` may also call two items the same
    when their keys are not near-duplicates. Order of first appearance is preserved.
    """
    out: list[T] = []
    for item in items:
        for i, seen in enumerate(out):
            if is_near_duplicate(key(seen), key(item), threshold) or (same is not None and same(seen, item)):
                out[i] = (combine or _keep_richer(fields))(seen, item)
                break
        else:
            out.append(item)
    return out


def _keep_richer(fields: Sequence[str]) -> Callable[[T, T], T]:
    def pick(earlier: T, later: T) -> T:
        keep, drop = (
            (later, earlier) if richness(later, fields) > richness(earlier, fields) else (earlier, later)
        )
        return with_provenance(keep, combine_provenance(_prov(keep), _prov(drop)))

    return pick


def _prov(item: BaseModel) -> Provenance:
    prov = getattr(item, "provenance", None)
    if not isinstance(prov, Provenance):
        raise TypeError(f"{type(item).__name__} has no provenance")
    return prov


def with_provenance(item: T, prov: Provenance) -> T:
    """``item`` with ``prov``; the item's own turn range follows it when it is from the same session."""
    update: dict[str, object] = {"provenance": prov}
    if hasattr(item, "turn_start") and prov.session_id == _prov(item).session_id:
        update |= {"turn_start": prov.turn_start, "turn_end": prov.turn_end}
    return item.model_copy(update=update)


def newer(later: BaseModel, earlier: BaseModel) -> bool:
    """``later`` comes from a later chunk of the same session than everything ``earlier`` was seen in."""
    pl, pe = _prov(later), _prov(earlier)
    return pl.session_id == pe.session_id and max(pl.chunks, default=-1) > max(pe.chunks, default=-1)


def sentences(text: str) -> list[str]:
    """Split prose into sentences (Latin and CJK punctuation)."""
    return [s.strip() for s in _SENTENCE_RE.split(text.strip()) if s.strip()]


def join_prose(parts: Sequence[str], threshold: float = DUP_THRESHOLD) -> str:
    """Join paragraphs into one, dropping sentences that repeat an earlier one."""
    kept: list[str] = []
    for part in parts:
        for sentence in sentences(part):
            if not any(is_near_duplicate(sentence, k, threshold) for k in kept):
                kept.append(sentence)
    joiner = "" if kept and _is_cjk(kept[0]) else " "
    return joiner.join(kept)


def _is_cjk(text: str) -> bool:
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    return cjk * 3 > len(text)
