"""The README's command lines are true: every `daily-report CMD --option` it shows (walkthrough, cron and
systemd recipes, command table) names a real command and real options of it."""

from __future__ import annotations

import re
from functools import cache

from daily_report.cli.app import app
from typer.testing import CliRunner

from tests.conftest import REPO

runner = CliRunner()
README = (REPO / "README.md").read_text(encoding="utf-8")


@cache
def help_of(command: str) -> str:
    result = runner.invoke(app, [command, "--help"], terminal_width=200)
    assert result.exit_code == 0, f"`daily-report {command}` is not a command: {result.output}"
    return result.output


def shown_commands() -> list[str]:
    """``daily-report …`` invocations in code blocks and in `…` spans."""
    found = re.findall(r"daily-report ((?:[a-z]+)(?: [^\n`#|&>]*)?)", README)
    return [
        f.strip()
        for f in found
        if f.split()[0] in {"init", "usage", "sessions", "run", "cost", "demo", "eval"}
    ]


def test_every_command_and_option_in_the_readme_exists() -> None:
    lines = shown_commands()
    assert len(lines) > 30
    for line in lines:
        command, *rest = line.split()
        helptext = help_of(command)
        for option in (t for t in rest if t.startswith("-")):
            name = option.split("=")[0].rstrip(",.;:)")
            assert name in helptext, f"README: `daily-report {line}`: {name} is not an option of {command}"


def test_the_walkthrough_and_the_recipes_are_there() -> None:
    walkthrough = [
        "daily-report init",
        "daily-report usage --date today",
        "daily-report run --date today --dry-run",
    ]
    walkthrough += ["daily-report run --date today --open"]
    positions = [README.index(step) for step in walkthrough]
    assert positions == sorted(positions)  # init → usage → dry run → run → open
    assert re.search(r"^30 6 \* \* \* .*daily-report run --date yesterday", README, flags=re.M)  # cron
    assert "OnCalendar=" in README and "ExecStart=" in README  # or a systemd timer
    assert len(re.findall(r"^rsync -az \S+:\S+ /sync/", README, flags=re.M)) >= 2  # one line per device
