"""`daily-report init`: a starter daily-report.toml from what this machine has, never over an existing file.

It lists the transcript roots found here (``$CLAUDE_CONFIG_DIR``, ``~/.claude``, ``~/.codex``, ``~/.gemini``),
the system time zone, and commented examples for more devices, so a first run needs no reading of the docs.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated

import daily_report.sources.agents as agents
import typer
from daily_report.cli.console import _errors, out


def found_roots(home: Path) -> dict[str, list[Path]]:
    """TOML key -> the transcript roots that exist here, per agent in registry order, as the default
    configuration finds them (``Agent.default_roots``)."""
    roots: dict[str, list[Path]] = {}
    for agent in agents.AGENTS:
        given, at_home = agent.default_roots(home, os.environ)
        roots[agent.config_key] = [p for p in dict.fromkeys([*given, *at_home]) if p.is_dir()]
    return {key: paths for key, paths in roots.items() if paths}


def _toml_list(paths: list[Path]) -> str:
    return "[" + ", ".join(f'"{p.as_posix()}"' for p in paths) + "]"


def starter_config(*, host: str, zone: str, roots: dict[str, list[Path]]) -> str:
    """The text of a starter daily-report.toml."""
    name = host if re.fullmatch(r"[A-Za-z0-9_-]+", host) else f'"{host}"'
    lines = [
        "# daily-report configuration, written by `daily-report init`. See the README for every key.",
        f'timezone = "{zone}"'.ljust(35) + '# a "day" is a local date in this zone',
        'out_dir = "reports"'.ljust(35) + "# run writes reports/<date>/report.{md,html,json} and index.html",
        'lang = "en"'.ljust(35) + "# prose language of the report: en | zh",
        "",
        f"[devices.{name}]".ljust(35) + "# this machine",
    ]
    if not roots:
        homes = [f"~/{a.home_dir}" for a in agents.AGENTS]
        listed = ", ".join(homes[:-1]) + " or " + homes[-1] if len(homes) > 1 else homes[0]
        lines.append(f"# no {listed} found here: add this machine's roots, e.g.")
        lines.append('# claude = ["~/.claude"]')
    for agent in agents.AGENTS:
        if agent.config_key in roots:
            lines.append(f"{agent.config_key} = {_toml_list(roots[agent.config_key])}")
    lines += [
        "",
        "# More devices: copy their transcripts here (e.g. rsync, see the README) and add one table each.",
        "# [devices.cluster]",
        '# claude = ["/sync/cluster/alice/.claude", "/sync/cluster/bob/.claude"]',
        '# codex = ["/sync/cluster/alice/.codex"]',
        "# [devices.laptop]",
        '# claude = ["/sync/laptop/.claude"]',
        "",
        "[llm]",
        'provider = "anthropic"             # anthropic | openai (key from ANTHROPIC_API_KEY / OPENAI_API_KEY)',
        '# model = "claude-haiku-4-5"',
        "max_cost_usd = 5.0                 # refuse to start above this estimate",
        "",
    ]
    return "\n".join(lines)


def init(
    path: Annotated[Path, typer.Option("--path", help="Where to write it.")] = Path("daily-report.toml"),
) -> None:
    """Write a starter daily-report.toml: the roots found here, the system zone, examples for more devices."""
    from daily_report.core.config import host_name, system_zone
    from daily_report.core.errors import ConfigError

    with _errors():
        if path.exists():
            raise ConfigError(f"{path} already exists: init never overwrites a file (edit it, or use --path)")
        roots = found_roots(Path.home())
        text = starter_config(host=host_name(), zone=system_zone().key, roots=roots)
        try:
            with path.open("x", encoding="utf-8") as f:
                f.write(text)
        except OSError as e:
            raise ConfigError(f"cannot write {path}: {e.strerror or e}") from None
    found = ", ".join(str(p) for paths in roots.values() for p in paths) or "no transcript roots"
    out.print(f"wrote {path}: {found}; time zone {system_zone().key}")
    out.print("next: daily-report usage --date today, then daily-report run --date today --dry-run")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
