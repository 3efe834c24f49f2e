"""Stage `overview`: the day at a glance."""

from __future__ import annotations

from pydantic import Field

from schemas.common import StrictModel


class DeviceOverview(StrictModel):
    device: str = Field(description="Device name as given in the input.")
    what_was_done: str = Field(description="What was done on this device, with figures and names.")
    how_it_was_done: str = Field(description="How: methods, tools, commands, workarounds.")
    why_it_matters: str = Field(description="Impact: what is now possible or known.")


class OverviewOutput(StrictModel):
    what_was_done: str = Field(description="The day's work across all devices, specific.")
    how_it_was_done: str = Field(description="How it was done, specific.")
    why_it_matters: str = Field(description="Why it matters, specific.")
    devices: list[DeviceOverview] = Field(description="One entry per device that had sessions.")
    summary: str = Field(description="One paragraph summarizing the whole day.")
