"""Stage `overview`: the day at a glance."""

from __future__ import annotations

from typing import ClassVar

from daily_report.schemas.budgets import DAY_SUMMARY, DEVICE_BULLET, OVERVIEW_BULLET, Budgets, at_most
from daily_report.schemas.common import StrictModel
from pydantic import Field


class DeviceOverview(StrictModel):
    device: str = Field(description="Device name as given in the input.")
    what_was_done: str = Field(
        description=f"What was done on this device, with figures and names; {at_most(DEVICE_BULLET)}."
    )
    how_it_was_done: str = Field(
        description=f"How: methods, tools, commands, workarounds; {at_most(DEVICE_BULLET)}."
    )
    why_it_matters: str = Field(
        description=f"Impact: what is now possible or known; {at_most(DEVICE_BULLET)}."
    )


class OverviewOutput(StrictModel):
    WORD_BUDGETS: ClassVar[Budgets] = (
        ("what_was_done", OVERVIEW_BULLET),
        ("how_it_was_done", OVERVIEW_BULLET),
        ("why_it_matters", OVERVIEW_BULLET),
        ("devices[].what_was_done", DEVICE_BULLET),
        ("devices[].how_it_was_done", DEVICE_BULLET),
        ("devices[].why_it_matters", DEVICE_BULLET),
        ("summary", DAY_SUMMARY),
    )

    what_was_done: str = Field(
        description=f"The day's work across all devices, specific; {at_most(OVERVIEW_BULLET)}."
    )
    how_it_was_done: str = Field(description=f"How it was done, specific; {at_most(OVERVIEW_BULLET)}.")
    why_it_matters: str = Field(description=f"Why it matters, specific; {at_most(OVERVIEW_BULLET)}.")
    devices: list[DeviceOverview] = Field(description="One entry per device that had sessions.")
    summary: str = Field(
        description="One or two sentences closing the overview, not repeating the device bullets; "
        f"{at_most(DAY_SUMMARY)}."
    )
