"""A normal install works: the wheel carries prompts, the fixture day and the eval cases under one import
name (`daily_report`), and `demo` and `eval` run from another directory."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_folder_is_listed_in_pyproject() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(["daily_report", *d.relative_to(ROOT / "pipeline").parts])
        for d in [ROOT / "pipeline", *(ROOT / "pipeline").rglob("*")]
        if d.is_dir() and (d / "__init__.py").is_file()
    }
    assert found <= listed, sorted(found - listed)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    [whl] = out.glob("daily_report-*.whl")
    return whl


def test_the_wheel_installs_one_distinct_import_name_with_its_data(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"daily_report"}
    assert "daily_report/prompts/tasks/v1.md" in names
    assert "daily_report/fixtures/day/daily-report.toml" in names
    assert any(n.startswith("daily_report/fixtures/cases/") and n.endswith("expect.yaml") for n in names)
    assert any(n.startswith("daily_report/fixtures/replay/overview/") for n in names)
    assert "daily_report/report/templates/report.html.j2" in names


def test_the_installed_wheel_runs_demo_and_eval_from_elsewhere(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(
        subprocess.run(
            [str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # The dependencies come from this environment (no download); its own editable finder is not loaded,
    # because a path listed in a .pth file is not itself scanned for .pth files.
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    assert not any((site / n).exists() for n in ("pipeline", "schemas", "prompts"))
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {**os.environ, "DAILY_REPORT_CACHE_DIR": str(tmp_path / "cache"), "HOME": str(tmp_path)}
    env.pop("PYTHONPATH", None)
    py = str(venv / "bin" / "python")
    where = subprocess.run(
        [
            py,
            "-c",
            "import daily_report, sys; print(daily_report.__file__); print('pipeline' in sys.modules)",
        ],
        cwd=work,
        check=True,
        capture_output=True,
        text=True,
        env=env,
    ).stdout
    assert str(site) in where
    demo = subprocess.run(
        [py, "-m", "daily_report", "demo", "--out", str(work / "out")],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert (work / "out" / "2026-03-17" / "report.md").is_file()
    ev = subprocess.run(
        [py, "-m", "daily_report", "eval", "--provider", "replay"],
        cwd=work,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert ev.returncode == 0, ev.stdout + ev.stderr
