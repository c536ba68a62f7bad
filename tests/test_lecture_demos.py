"""The lecture demos (regularization, initialization, adversarial, activations and losses) run
in --quick mode, write their plots, and print results that show their lesson."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.demo_runs import assert_same_numbers_eager_and_compiled

ROOT = Path(__file__).resolve().parents[1]

DEMOS = {
    "regularization.py": ["regularization.png"],
    "initialization.py": ["initialization_histograms.png", "initialization_layers.png",
                          "initialization_batchnorm.png"],
    "adversarial.py": ["adversarial_accuracy.png", "adversarial_examples.png"],
    "activations_losses.py": ["activations.png", "losses.png", "finite_differences.png"],
}

_outputs: dict[tuple, subprocess.CompletedProcess] = {}


def run_demo(demo: str, out: Path, *extra: str) -> str:
    """Run a demo with --quick into ``out`` once per session; return its standard output."""
    key = (demo, *extra)
    if key not in _outputs:
        # Run from the repository checkout, whatever minigrad is installed elsewhere.
        environment = {**os.environ, "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"}
        result = subprocess.run(
            [sys.executable, str(ROOT / "demos" / demo), "--quick", "--out", str(out), *extra],
            capture_output=True, text=True, env=environment, timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        for name in DEMOS[demo]:
            plot = out / name
            assert plot.is_file() and plot.stat().st_size > 1000, f"{demo} did not write {name}"
        _outputs[key] = result
    return _outputs[key].stdout


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory):
    folders: dict[str, Path] = {}  # one per demo, so that its runs print the same paths

    def output(demo: str, *extra: str) -> str:
        if demo not in folders:
            folders[demo] = tmp_path_factory.mktemp(demo.removesuffix(".py"))
        return run_demo(demo, folders[demo], *extra)

    return output


@pytest.mark.parametrize("demo", sorted(DEMOS))
def test_demo_runs_quick_and_writes_plots(demo, demo_output):
    assert demo_output(demo).strip(), "a demo prints its progress"


def test_compiled_steps_print_the_numbers_of_the_eager_run(demo_output):
    """BatchNorm's running statistics and momentum buffers replay exactly."""
    demo = "initialization.py"
    assert_same_numbers_eager_and_compiled(demo_output(demo), demo_output(demo, "--eager"))
    assert "running eagerly" not in _outputs[(demo,)].stderr


def table_row(output: str, method: str) -> list[float]:
    """The percentages on the summary-table line that starts with ``method``."""
    lines = [line for line in output.splitlines() if line.startswith(method) and "%" in line]
    assert lines, f"no line for {method!r} in:\n{output}"
    return [float(number) for number in re.findall(r"([\d.]+)%", lines[-1])]


def test_l1_gives_more_near_zero_weights_than_no_penalty(demo_output):
    output = demo_output("regularization.py")
    *_, no_penalty_zeros = table_row(output, "none ")
    *_, l1_zeros = table_row(output, "L1 penalty")
    assert l1_zeros > 2 * no_penalty_zeros
    assert "early stopping: stopped after epoch" in output


def test_fgsm_accuracy_falls_as_eps_grows(demo_output):
    output = demo_output("adversarial.py")
    rows = re.findall(r"^\s*(\d\.\d\d)\s+([\d.]+)%\s+([\d.]+)%\s+([\d.]+)%", output, re.M)
    assert len(rows) >= 5, output
    plain = [float(row[1]) for row in rows]
    random_noise = [float(row[3]) for row in rows]
    assert all(later <= earlier + 1.0 for earlier, later in zip(plain, plain[1:], strict=False))
    assert plain[-1] < plain[0] - 50
    # A signed-gradient step hurts far more than random signs of the same size.
    assert random_noise[-1] > plain[-1] + 30


def test_initialization_statistics_show_vanishing_and_exploding(demo_output):
    output = demo_output("initialization.py")
    relu_part = output[output.index("relu MLP"):]

    def last_layer_std(name: str) -> float:
        line = next(line for line in relu_part.splitlines() if line.strip().startswith(name))
        return float(re.search(r"std\s+\S+ /\s+\S+ /\s+(\S+)", line).group(1))

    assert last_layer_std("too small") < 1e-6
    assert 0.1 < last_layer_std("He") < 10
    assert last_layer_std("too large") > 1e3
    batch_norm = re.search(r"\+ BatchNorm1d.*last 10 batches ([\d.]+)", output)
    without = re.search(r"std 0.01 init, no BatchNorm.*last 10 batches ([\d.]+)", output)
    assert float(batch_norm.group(1)) < float(without.group(1)) - 0.5


def test_gradcheck_passes_and_central_differences_beat_forward(demo_output):
    output = demo_output("activations_losses.py")
    assert "(every input and parameter): True" in output
    sigmoid = re.search(r"sigmoid\s+f' from backward: min\s+\S+\s+max\s+(\S+)", output)
    assert float(sigmoid.group(1)) == pytest.approx(0.25, abs=1e-3)
    rows = re.findall(r"^\s*(\de-\d\d)\s+(\S+)\s+(\S+)\s+(\S+)$", output, re.M)
    errors = {float(h): (float(forward), float(central)) for h, forward, central, _ in rows}
    assert errors[1e-1][1] < errors[1e-1][0]  # O(h^2) beats O(h) while truncation rules
    assert min(central for _, central in errors.values()) < 1e-7
    assert errors[1e-13][1] > 1e3 * min(central for _, central in errors.values())


def resolve(dotted: str):
    """The object a dotted name such as ``minigrad.nn.init.xavier_normal_`` refers to."""
    import importlib

    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            target = getattr(target, attribute)
        return target
    raise ImportError(dotted)


def test_lectures_index_references_exist():
    text = (ROOT / "docs" / "lectures.md").read_text(encoding="utf-8")
    table = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(table) > 20, "one row per course topic plus the header"
    for row in table[1:]:
        for demo in re.findall(r"python (demos/\w+\.py)", row):
            assert (ROOT / demo).is_file(), f"{demo} in docs/lectures.md does not exist"
        for page in re.findall(r"\]\((\w+\.md)\)", row):
            assert (ROOT / "docs" / page).is_file(), f"docs/{page} does not exist"
        for name in re.findall(r"`(minigrad\.[\w.]+)`", row):
            resolve(name)  # raises AttributeError or ImportError for a wrong name
