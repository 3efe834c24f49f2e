"""Discovery's scandir walk finds, orders and resolves files exactly as ``sorted(rglob)`` + ``resolve``."""

from __future__ import annotations

import os
from pathlib import Path

from daily_report.sources.discovery import discover_roots
from daily_report.sources.walk import walk as _walk


def _tree(root: Path) -> Path:
    top = root / "projects"
    for rel in ("a/x.jsonl", "a-b/x.jsonl", "a/b/c.jsonl", "z.jsonl", ".hidden/h.jsonl", "a/skip.txt"):
        (top / rel).parent.mkdir(parents=True, exist_ok=True)
        (top / rel).write_bytes(b"{}\n")
    (top / "dir.jsonl").mkdir()  # a directory with a matching name is not a file
    outside = root / "elsewhere"
    outside.mkdir()
    (outside / "o.jsonl").write_bytes(b"{}\n")
    os.symlink(outside, top / "linked-dir")  # not entered, as rglob does not
    os.symlink(top / "a" / "x.jsonl", top / "a" / "link.jsonl")  # a linked file is taken
    os.symlink(root / "missing.jsonl", top / "a" / "dangling.jsonl")  # not a file
    return top


def test_walk_matches_sorted_rglob_and_resolve(tmp_path: Path) -> None:
    top = _tree(tmp_path)
    expected = [p for p in sorted(top.rglob("*.jsonl")) if p.is_file()]
    got = _walk(top, ".jsonl", prefix=False)
    assert [top.joinpath(*parts) for parts, _, _ in got] == expected
    assert [real for _, _, real in got] == [str(p.resolve()) for p in expected]
    assert [st.st_size for _, st, _ in got] == [p.stat().st_size for p in expected]


def test_a_file_reached_twice_counts_once(tmp_path: Path) -> None:
    top = _tree(tmp_path)
    (tmp_path / "alias").mkdir()
    os.symlink(top, tmp_path / "alias" / "projects")
    roots = [("d", "claude_code", tmp_path / "alias"), ("d", "claude_code", tmp_path)]
    found = discover_roots(roots)  # type: ignore[arg-type]
    # main files are projects/<project>/<session>.jsonl; a/link.jsonl sorts before its target a/x.jsonl,
    # so the link is kept and the target dropped; the second root only holds the same files again
    assert [f.path.relative_to(tmp_path / "alias" / "projects").as_posix() for f in found.files] == [
        ".hidden/h.jsonl",
        "a/link.jsonl",
        "a-b/x.jsonl",
    ]
    assert found.roots_read == 2 and not found.warnings
