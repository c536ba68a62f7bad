"""The README's main demo and micrograd's classic demo run end to end."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_demo(name: str, *arguments: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    return subprocess.run(
        [sys.executable, str(ROOT / "demos" / name), *arguments],
        capture_output=True, text=True, env=environment, timeout=300,
    )


def test_first_gradients_agrees_with_the_hand_derivation():
    result = run_demo("first_gradients.py", "--seed", "3")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "They agree." in result.stdout
    assert "dy/dw" in result.stdout and "dy/db" in result.stdout


def test_micrograd_moons_quick_run_writes_its_plot(tmp_path):
    result = run_demo("micrograd_moons.py", "--quick", "--out", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    plots = list(tmp_path.glob("*.png"))
    assert plots and all(p.stat().st_size > 1000 for p in plots)
