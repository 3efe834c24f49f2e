"""The project a session belongs to, when its folder name says otherwise.

A session's project is the last component of its working directory. That is often a worktree
(``spotter-fum`` is a worktree of spotter; ``~/src/spotter/.worktrees/fum``) or a generic folder (``repo``,
``src``), while the transcript names the real project. In order:

1. the ``[projects]`` alias table of the config (``"spotter-fum" = "spotter"``) for the folder name;
2. a worktree path among the session's working directories (``<repo>/.worktrees/<name>``,
   ``<repo>/worktrees/<name>``, ``<repo>/.claude/worktrees/<name>``, ``<repo>.worktrees/<name>``): the repo;
3. the facts stage's project (after the reduce: the session's), when the folder is a generic name, or a
   worktree named ``<project>-<suffix>`` whose suffix is the session's git branch or whose ``<project>`` is
   another session's folder that day (``vla-finetune`` with a facts project "vla" stays ``vla-finetune``);
4. else the folder name.

The resolved name groups the projects stage and the Session Summaries; the alias table also applies to
what steps 2 and 3 found, so one table maps every spelling to one name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath, PureWindowsPath

GENERIC_FOLDERS = frozenset(
    {
        "repo",
        "repos",
        "src",
        "source",
        "code",
        "app",
        "project",
        "projects",
        "work",
        "workspace",
        "ws",
        "main",
        "master",
        "dev",
        "tmp",
        "temp",
        "test",
        "sandbox",
        "scratch",
        "git",
        "home",
        "untitled",
    }
)
_WORKTREE_DIRS = frozenset({".worktrees", "worktrees", ".worktree", "worktree"})
_WORKTREE_SUFFIX = re.compile(r"^(.+?)[._-]worktrees?$", re.I)
_SLUG = re.compile(r"[^a-z0-9]+")
MAX_FACTS_NAME = 40


def slug(name: str) -> str:
    """'Spotter' / 'spotter_' -> 'spotter': lower case, runs of other characters as one '-'."""
    return _SLUG.sub("-", name.casefold()).strip("-")


def _parts(cwd: str) -> tuple[str, ...]:
    return (PureWindowsPath(cwd) if "\\" in cwd else PurePosixPath(cwd)).parts


def worktree_repo(cwd: str | None) -> str | None:
    """The repository a worktree path belongs to, or None when ``cwd`` is not inside a worktree folder."""
    if not cwd:
        return None
    parts = _parts(cwd)
    for i, part in enumerate(parts[:-1]):
        if part.casefold() in _WORKTREE_DIRS and i > 0:
            above = parts[i - 1]
            if above in (".claude", ".git") and i > 1:
                above = parts[i - 2]
            return above if above not in ("/", "\\") else None
        m = _WORKTREE_SUFFIX.match(part)
        if m and i + 1 < len(parts):
            return m.group(1)
    return None


def _usable(name: str) -> bool:
    """A facts-stage project that reads as a name, not a sentence."""
    name = name.strip()
    return 0 < len(name) <= MAX_FACTS_NAME and len(name.split()) <= 4 and slug(name) not in GENERIC_FOLDERS


def resolve_project(
    folder: str,
    *,
    cwds: Iterable[str | None] = (),
    facts_project: str | None = None,
    aliases: Mapping[str, str] | None = None,
    branch: str | None = None,
    known: Iterable[str] = (),
) -> str:
    """The project name the report groups ``folder``'s session under (see the module docstring)."""
    table = {slug(k): v for k, v in (aliases or {}).items()}

    def alias(name: str) -> str:
        return table.get(slug(name), name)

    if slug(folder) in table:
        return table[slug(folder)]
    for cwd in cwds:
        repo = worktree_repo(cwd)
        if repo:
            return alias(repo)
    if facts_project and _usable(facts_project):
        said, here = slug(facts_project), slug(folder)
        if here in GENERIC_FOLDERS or not here:
            return alias(facts_project.strip())
        if said and here.startswith(said + "-"):
            suffix = here[len(said) + 1 :]
            on_branch = bool(branch) and slug(branch or "").endswith(suffix)
            if on_branch or said in {slug(k) for k in known}:
                return alias(facts_project.strip())
    return folder
