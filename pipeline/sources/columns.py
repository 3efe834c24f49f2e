"""A column of an agent's usage tables, as its adapter declares it (plain data: no imports)."""

from __future__ import annotations

from typing import NamedTuple


class Column(NamedTuple):
    """One figure of an agent's usage tables: ``key`` in its usage rows (a token count, or a rate of the
    totals), ``label`` in the model breakdown, ``metric`` in the overview (None: not shown there)."""

    key: str
    label: str
    metric: str | None = None
    rate: bool = False  # a share (shown as a percentage, in the overview only), not a token count
    device: bool = False  # also in the per-device table (input and output, for every agent)
