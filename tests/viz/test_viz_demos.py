"""The drawing demos run end to end and write their pictures."""

import importlib.util
from pathlib import Path

DEMOS = Path(__file__).resolve().parents[2] / "demos"


def load(name):
    spec = importlib.util.spec_from_file_location(name, DEMOS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_chain_rule_demo(tmp_path, capsys):
    load("chain_rule").main(["--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert "Both agree" in out
    for name in ("forward.svg", "backward.svg", "both.svg", "backward_steps.html"):
        assert (tmp_path / f"chain_rule_{name}").stat().st_size > 1000


def test_vanishing_gradients_demo(tmp_path, capsys):
    load("vanishing_gradients").main(["--depth", "4", "--width", "4", "--out", str(tmp_path)])
    lines = capsys.readouterr().out.splitlines()
    ratios = {line.split(":")[0].strip(): float(line.rsplit("ratio", 1)[1]) for line in lines
              if "ratio" in line}
    # sigmoid' <= 1/4 per layer: the first layer's gradient is far smaller than with ReLU.
    assert ratios["sigmoid"] < ratios["relu"] / 10
    for name in ("backward_sigmoid.svg", "backward_relu.svg", "grad_flow.png"):
        assert (tmp_path / name).stat().st_size > 1000
