"""Baselines: where the other side of a comparison comes from, the comparison itself, and the CI gate.

``--baseline`` is one of: a prompts directory; a git ref (the repo's ``prompts/`` at that ref, extracted
with ``git archive`` into a temporary directory); a results file written by ``--json`` or ``--accept``.
Without ``--baseline`` the run compares with the stored baseline of its cases directory when there is one:
``--accept`` writes it to ``<user cache dir>/eval/baseline-<hash of the cases dir>.json`` (per user, out of
git's way; ``DAILY_REPORT_CACHE_DIR`` moves it with the cache).
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from daily_report.core.errors import ConfigError
from daily_report.core.paths import REPO_ROOT, user_cache_dir
from daily_report.eval.cases import DEFAULT_CASES_DIR
from daily_report.eval.results import EvalResult, PromptInfo, Row, stage_totals
from pydantic import ValidationError

DEFAULT_TOLERANCE = 0.05


@dataclass(frozen=True)
class Baseline:
    """The other side: a prompts directory to run, or stored results to read."""

    label: str
    prompts_dir: Path | None = None
    stored: EvalResult | None = None


def stored_baseline_path(cases_dir: Path | None) -> Path:
    """Where ``--accept`` keeps the baseline of a cases directory."""
    resolved = str((cases_dir or DEFAULT_CASES_DIR).resolve())
    digest = hashlib.sha256(resolved.encode("utf-8")).hexdigest()[:12]
    return user_cache_dir() / "eval" / f"baseline-{digest}.json"


def load_results(path: Path) -> EvalResult:
    """A results file: what ``--accept`` stores, or the ``current`` side of a ``--json`` document."""
    import json

    try:
        data = json.loads(path.read_bytes())
        if isinstance(data, dict) and isinstance(data.get("current"), dict):
            data = data["current"]
        return EvalResult.model_validate(data)
    except ValidationError as e:
        raise ConfigError(
            f"baseline file {path} is not eval results ({e.error_count()} problems): "
            "write one with --json or --accept"
        ) from e
    except ValueError as e:
        raise ConfigError(f"baseline file {path} is not JSON: {e}") from e
    except OSError as e:
        raise ConfigError(f"baseline file {path} cannot be read: {e.strerror or e}") from e


@contextmanager
def resolve_baseline(spec: str | None, *, cases_dir: Path | None) -> Iterator[Baseline | None]:
    """The baseline named by ``--baseline`` (or the stored one), valid inside the ``with`` block."""
    if spec is None:
        path = stored_baseline_path(cases_dir)
        yield Baseline(label=f"accepted ({path.name})", stored=load_results(path)) if path.is_file() else None
        return
    path = Path(spec).expanduser()
    if path.is_dir():
        yield Baseline(label=spec, prompts_dir=path)
    elif path.is_file():
        yield Baseline(label=spec, stored=load_results(path))
    else:
        with git_prompts(spec) as extracted:
            yield Baseline(label=spec, prompts_dir=extracted)


@contextmanager
def git_prompts(ref: str, *, repo: Path = REPO_ROOT) -> Iterator[Path]:
    """The repo's ``prompts/`` at ``ref``, extracted into a temporary directory."""
    if _git(["rev-parse", "--is-inside-work-tree"], repo).returncode != 0:
        raise ConfigError(
            f"--baseline {ref!r} is neither a directory nor a file, and {repo} is not a git checkout "
            "to read it as a git ref from"
        )
    if _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], repo).returncode != 0:
        raise ConfigError(
            f"--baseline {ref!r}: no such directory, file or git ref in {repo} "
            "(give a prompts directory, a results JSON file, or a commit/branch/tag)"
        )
    archive = _git(["archive", "--format=tar", ref, "prompts"], repo)
    if archive.returncode != 0:
        raise ConfigError(
            f"--baseline {ref!r}: git has no prompts/ at that ref: {archive.stderr.decode().strip()}"
        )
    with tempfile.TemporaryDirectory(prefix="daily-report-baseline-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(tmp, filter="data")
        yield Path(tmp) / "prompts"


def _git(args: list[str], repo: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False, timeout=60)
    except FileNotFoundError as e:
        raise ConfigError("--baseline as a git ref needs git on PATH") from e


# ---------------------------------------------------------------- comparing


@dataclass
class RowDelta:
    case: str
    stage: str
    base: Row | None
    current: Row | None

    @property
    def delta(self) -> float | None:
        if self.base is None or self.current is None:
            return None
        return self.current.value - self.base.value


@dataclass
class StageSummary:
    """A stage over every case: prompt versions and mean scores of both sides, tokens and cost."""

    stage: str
    base_prompt: PromptInfo | None
    current_prompt: PromptInfo | None
    base_mean: float | None
    current_mean: float | None
    base_tokens: tuple[int, int, float | None]
    current_tokens: tuple[int, int, float | None]
    regressions: int = 0

    @property
    def delta(self) -> float | None:
        if self.base_mean is None or self.current_mean is None:
            return None
        return self.current_mean - self.base_mean

    def versions(self) -> str:
        return version_change(self.stage, self.base_prompt, self.current_prompt)


@dataclass
class Comparison:
    base: EvalResult
    current: EvalResult
    tolerance: float
    rows: list[RowDelta] = field(default_factory=list)
    stages: list[StageSummary] = field(default_factory=list)

    def system_change(self) -> str | None:
        """'system v1 → v2' when the shared system prompt differs between the sides (every stage sees it)."""
        base, current = self.base.prompts.get("system"), self.current.prompts.get("system")
        if base is None or current is None or base == current:
            return None
        return version_change("system", base, current)

    def regressions(self) -> list[RowDelta]:
        return [r for r in self.rows if r.delta is not None and r.delta < -self.tolerance]


def version_change(stage: str, base: PromptInfo | None, current: PromptInfo | None) -> str:
    """'tasks v1 → v2'; equal versions with different text show a short hash: 'tasks v1 (ab12cd34) → v1 (…)'."""
    if base is None or current is None:
        one = base or current
        return f"{stage} {one.version if one else '?'}"
    if base.version == current.version and base.sha == current.sha:
        return f"{stage} {current.version}"
    if base.version == current.version:
        return f"{stage} {base.version} ({base.sha}) → {current.version} ({current.sha})"
    return f"{stage} {base.version} → {current.version}"


def compare(base: EvalResult, current: EvalResult, *, tolerance: float = DEFAULT_TOLERANCE) -> Comparison:
    cmp = Comparison(base=base, current=current, tolerance=tolerance)
    keys = list(
        dict.fromkeys([(r.case, r.stage) for r in current.rows] + [(r.case, r.stage) for r in base.rows])
    )
    cmp.rows = [RowDelta(c, s, base.row(c, s), current.row(c, s)) for c, s in keys]
    for stage in dict.fromkeys(s for _, s in keys):
        if stage == "*":
            continue
        mine = [r for r in cmp.rows if r.stage == stage]
        cmp.stages.append(
            StageSummary(
                stage=stage,
                base_prompt=base.prompts.get(stage),
                current_prompt=current.prompts.get(stage),
                base_mean=_mean([r.base for r in mine if r.current is not None]),
                current_mean=_mean([r.current for r in mine if r.base is not None]),
                base_tokens=stage_totals(r.base for r in mine if r.base is not None),
                current_tokens=stage_totals(r.current for r in mine if r.current is not None),
                regressions=sum(1 for r in mine if r.delta is not None and r.delta < -tolerance),
            )
        )
    return cmp


def _mean(rows: list[Row | None]) -> float | None:
    values = [r.value for r in rows if r is not None]
    return sum(values) / len(values) if values else None


# ---------------------------------------------------------------- the gate


def gate(current: EvalResult, comparison: Comparison | None, *, fail_under: float | None) -> list[str]:
    """Why the run should fail CI (exit 1): rows that errored, any single score under ``fail_under``, rows
    whose mean score dropped more than the tolerance below the baseline's."""
    problems = [f"{r.case}/{r.stage}: {r.error}" for r in current.rows if r.error]
    if fail_under is not None:
        problems += [
            f"{r.case}/{r.stage}: {s.name} {s.value:.2f} under {fail_under:.2f} ({s.reason})"
            for r in current.rows
            if r.error is None
            for s in r.scores
            if s.value < fail_under
        ]
    if comparison is not None:
        problems += [
            f"{d.case}/{d.stage}: {d.base.value:.2f} → {d.current.value:.2f} "  # type: ignore[union-attr]
            f"(regressed more than {comparison.tolerance:.2f})"
            for d in comparison.regressions()
        ]
    return problems
