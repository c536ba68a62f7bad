"""Each demo runs end to end in --quick mode and writes its plots."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

DEMOS = {
    "xor.py": ["xor_perceptron.png", "xor_mlp.png", "xor_loss.png"],
    "sine_fit.py": ["sine_fit_surfaces.png", "sine_fit_loss.png"],
    "digits_mlp.py": ["digits_history.png", "digits_predictions.png"],
    "optimizers.py": ["optimizers_loss.png"],
    "learning_rates.py": ["learning_rates_loss.png"],
}


@pytest.mark.parametrize("demo", sorted(DEMOS))
def test_demo_runs_quick(demo, tmp_path):
    # Run from the repository checkout, whatever minigrad is installed elsewhere.
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "demos" / demo), "--quick", "--out", str(tmp_path)],
        capture_output=True, text=True, env=environment, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip(), "a demo prints its progress"
    for name in DEMOS[demo]:
        plot = tmp_path / name
        assert plot.is_file() and plot.stat().st_size > 1000, f"{demo} did not write {name}"
