"""`run` start-up and re-run figures: dry runs of 1-, 100- and 200-session days, and a cached re-run.

For each size, a fresh day from ``gen_run_day.py`` under ``bench/out/run<N>``, then, timed as subprocesses
(``daily-report run --date D --config ... --dry-run``):

- dry cold: the first dry run (no cache, no memo of condensed sessions);
- dry: the same command again (best of ``--runs``);
- cached re-run (sizes in ``--rerun``): a real run answered by the stub server (tests/stub_llm_server.py,
  on 127.0.0.1), then the same run again with nothing changed (best of ``--runs``): every answer from the
  cache, the report written again.

Wall and CPU (user+sys) time of each, with .pyc files written and used as for an installed tool; the load average is printed first. Prints figures; asserts nothing.

    .venv/bin/python bench/bench_run.py [--sizes 1 100 200] [--rerun 100] [--runs 3] [--before DIR]

``--before DIR`` also times another copy of the code (e.g. ``git archive <commit> | tar -x -C DIR``) with
this venv, on the same days, right after each figure of ours: both see the same load.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from gen_run_day import DAY, generate


def cli(env: dict[str, str]) -> list[str]:
    """The installed package runs as ``daily_report``; a ``--before`` copy from before the one-import-name
    layout (its ``pipeline/`` on PYTHONPATH) runs as ``pipeline``."""
    before = env.get("PYTHONPATH")
    module = "pipeline" if before and not (Path(before) / "pipeline" / "core").is_dir() else "daily_report"
    return [sys.executable, "-m", module]


def timed(args: list[str], *, env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU user+sys) seconds of one CLI run; CPU moves less with the machine's load. It runs from
    the day's folder: ``-m`` puts the working directory first on sys.path, and that must not be the repo."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    where = Path(args[args.index("--config") + 1]).parent
    proc = subprocess.run(cli(env) + args, env=env, capture_output=True, text=True, cwd=where)
    took = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()[-800:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return took, cpu


def best(args: list[str], *, env: dict[str, str], runs: int) -> tuple[float, float]:
    return min(timed(args, env=env) for _ in range(runs))


def fmt(name: str, figures: tuple[float, float]) -> str:
    return f"  {name} {figures[0]:6.2f} s ({figures[1]:5.2f} s CPU)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1, 100, 200])
    ap.add_argument("--rerun", type=int, nargs="*", default=[100])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--before", type=Path, help="another checkout of the code, timed alongside")
    args = ap.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    env = {**os.environ, "ANTHROPIC_API_KEY": "bench", "NO_COLOR": "1"}
    # As installed for a user: modules load from .pyc (this sandbox sets PYTHONDONTWRITEBYTECODE, which
    # recompiles every module of the project on each start, ~0.2 s)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    envs = [("ours", env)]
    if args.before is not None:
        envs.append(("before", {**env, "PYTHONPATH": str(args.before.resolve())}))
    from tests.stub_llm_server import StubLLMServer

    with StubLLMServer() as stub:
        for n in args.sizes:
            out = REPO / "bench" / "out" / f"run{n}"
            shutil.rmtree(out, ignore_errors=True)
            config = generate(out, sessions=n, base_url=stub.url)
            base = ["run", "--date", DAY.isoformat(), "--config", str(config)]
            for tag, e in envs:
                shutil.rmtree(out / "cache", ignore_errors=True)
                line = f"{n:>4} sessions {tag:<6}" + fmt("dry cold", timed([*base, "--dry-run"], env=e))
                line += fmt("dry", best([*base, "--dry-run"], env=e, runs=args.runs))
                if n in args.rerun:
                    line += fmt("first run", timed(base, env=e))
                    line += fmt("cached re-run", best(base, env=e, runs=args.runs))
                print(line, flush=True)


if __name__ == "__main__":
    main()
