"""After `pip install .` into a clean virtual environment (no system packages, no dev tools),
every demo runs in --quick mode, writes its figures, and `minigrad demos` finds them.

This builds a venv and installs minigrad's runtime dependencies into it (pip reuses its
cache), so it takes a few minutes: deselect it locally with `-m "not install"`; CI runs it.
"""

from __future__ import annotations

import os
import subprocess
import venv
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from minigrad.backend.compile_notice import NOTICE

ROOT = Path(__file__).resolve().parents[2]
DEMOS = sorted((ROOT / "demos").glob("*.py"))

pytestmark = pytest.mark.install


def run(command: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    # No PYTHONPATH: the demos must import the installed package, not this checkout.
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("PYTHONPATH", "VIRTUAL_ENV", "NUMBA_ENABLE_CUDASIM")}
    environment["MPLBACKEND"] = "Agg"
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                            env=environment, check=False)
    assert result.returncode == 0, f"{' '.join(command)}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def clean_install(tmp_path_factory) -> Path:
    """A fresh venv with `pip install .` of this checkout; returns its python."""
    home = tmp_path_factory.mktemp("fresh")
    venv.create(home / "venv", with_pip=True, system_site_packages=False)
    python = home / "venv" / "bin" / "python"
    run([str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", str(ROOT)],
        cwd=home)
    return python


def test_the_clean_venv_has_no_dev_packages(clean_install):
    probe = ("import importlib.util as u; "
             "print([m for m in ('torch', 'sklearn', 'pytest', 'numba_cuda') if u.find_spec(m)])")
    assert run([str(clean_install), "-c", probe], cwd=clean_install.parent).stdout.strip() == "[]"


def test_every_demo_runs_quick_after_pip_install(clean_install, tmp_path):
    def run_quick(demo: Path) -> str:
        out = tmp_path / demo.stem
        result = run([str(clean_install), str(demo), "--quick", "--out", str(out)],
                     cwd=tmp_path)
        pictures = [path for path in out.iterdir() if path.suffix in (".png", ".svg")]
        assert pictures, f"{demo.name} wrote no figure"
        return result.stderr

    # Two at a time: most of the time goes into compiling the kernels of the fresh install,
    # and Numba writes its cache files atomically, so concurrent first runs are safe.
    with ThreadPoolExecutor(max_workers=2) as pool:
        errors = list(pool.map(run_quick, DEMOS))
    # The kernels are compiled (and announced) in the first demos, then loaded from the cache.
    assert sum(stderr.count(NOTICE) for stderr in errors) >= 1


def test_minigrad_demos_lists_the_checkouts_demos(clean_install):
    minigrad_command = clean_install.parent / "minigrad"
    listing = run([str(minigrad_command), "demos"], cwd=ROOT / "docs").stdout
    assert all(demo.name in listing for demo in DEMOS)
