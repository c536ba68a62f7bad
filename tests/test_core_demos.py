"""The README's main demo and micrograd's classic demo run end to end, and a compiled demo
prints the numbers of its eager run."""

from tests.demo_runs import assert_same_numbers_eager_and_compiled, run_demo


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


def test_xor_prints_the_same_losses_compiled_and_eager(tmp_path):
    compiled = run_demo("xor.py", "--quick", "--out", str(tmp_path))
    eager = run_demo("xor.py", "--quick", "--eager", "--out", str(tmp_path))
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    assert eager.returncode == 0, eager.stdout + eager.stderr
    assert "mlp: final loss" in compiled.stdout
    assert_same_numbers_eager_and_compiled(compiled.stdout, eager.stdout)
    # No fallback to eager: the step returns the loss and .item() happens outside it.
    assert "running eagerly" not in compiled.stderr
