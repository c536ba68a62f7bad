"""The CNN demos run end to end: digits_cnn.py and mnist_cnn.py (synthetic data when no
MNIST folder is given, and the message it gives when the named folder lacks the files)."""

import os
import subprocess
import sys
from pathlib import Path

from tests.demo_runs import assert_same_numbers_eager_and_compiled

ROOT = Path(__file__).resolve().parents[1]


def run_demo(name, *arguments):
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, str(ROOT / "demos" / name), *arguments],
                          capture_output=True, text=True, env=environment, timeout=300)


def test_digits_cnn_quick_compiled_and_eager_print_the_same_numbers(tmp_path):
    result = run_demo("digits_cnn.py", "--quick", "--out", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "test accuracy" in result.stdout
    assert (tmp_path / "digits_cnn_history.png").stat().st_size > 1000
    eager = run_demo("digits_cnn.py", "--quick", "--eager", "--out", str(tmp_path))
    assert eager.returncode == 0, eager.stdout + eager.stderr
    assert_same_numbers_eager_and_compiled(result.stdout, eager.stdout)


def test_digits_cnn_with_average_pooling(tmp_path):
    result = run_demo("digits_cnn.py", "--quick", "--pool", "avg", "--out", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "avg pooling" in result.stdout


def test_mnist_cnn_synthetic_quick_compiled_and_eager_print_the_same_numbers(tmp_path):
    result = run_demo("mnist_cnn.py", "--synthetic", "--quick", "--out", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "synthetic digits: 2000 training" in result.stdout
    assert (tmp_path / "mnist_cnn_loss.png").stat().st_size > 1000
    eager = run_demo("mnist_cnn.py", "--synthetic", "--quick", "--eager", "--out",
                     str(tmp_path))
    assert eager.returncode == 0, eager.stdout + eager.stderr
    assert_same_numbers_eager_and_compiled(result.stdout, eager.stdout)


def test_mnist_cnn_without_data_falls_back_to_synthetic_digits(tmp_path):
    result = run_demo("mnist_cnn.py", "--quick", "--out", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "train-images-idx3-ubyte" in result.stdout and "--data FOLDER" in result.stdout
    assert "synthetic digits: 2000 training" in result.stdout
    assert (tmp_path / "mnist_cnn_loss.png").stat().st_size > 1000


def test_mnist_cnn_explains_missing_files(tmp_path):
    result = run_demo("mnist_cnn.py", "--data", str(tmp_path / "nowhere"), "--out",
                      str(tmp_path))
    assert result.returncode == 2
    assert "lecun.com" in result.stdout
