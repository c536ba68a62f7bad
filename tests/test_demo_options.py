"""Every demo takes the same options, and --help shows their defaults."""

import importlib.util
import re
from pathlib import Path

import pytest

from tests.demo_runs import COMPILED_DEMOS

ROOT = Path(__file__).resolve().parents[1]
DEMOS = sorted(path.stem for path in (ROOT / "demos").glob("*.py"))


def demo_help(name: str, capsys) -> str:
    spec = importlib.util.spec_from_file_location(f"demo_help_{name}",
                                                  ROOT / "demos" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(SystemExit) as exit_:
        module.main(["--help"])
    assert exit_.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("demo", DEMOS)
def test_demo_takes_quick_out_and_seed_with_defaults_shown(demo, capsys):
    text = demo_help(demo, capsys)
    flat = " ".join(text.split())
    for option in ("--quick", "--out OUT", "--seed SEED"):
        assert option in flat, f"{demo} has no {option}"
    assert "(default: out)" in flat, f"{demo}: --out must default to ./out"
    # Every option but --help says its default.
    options = [line for line in text.splitlines() if line.startswith("  --")]
    assert flat.count("(default:") == len(options), f"{demo}: an option hides its default"


@pytest.mark.parametrize("demo", COMPILED_DEMOS)
def test_training_demo_compiles_its_step_unless_told_eager(demo, capsys):
    flat = " ".join(demo_help(demo, capsys).split())
    assert re.search(r"--eager run .*training steps? eagerly instead of minigrad.compile", flat)
    source = (ROOT / "demos" / f"{demo}.py").read_text(encoding="utf-8")
    assert "StepTimer(eager=args.eager)" in source and "timer.summary()" in source


def test_every_demo_that_trains_for_many_steps_is_compiled():
    """A demo with an optimizer loop either compiles its step or is one of the demos that
    do not train a Tensor model for many steps."""
    not_compiled = {"micrograd_moons": "trains the scalar Value engine, not Tensors",
                    "vanishing_gradients": "one backward pass, no training loop",
                    "activations_losses": "no training loop", "chain_rule": "no training loop",
                    "first_gradients": "no training loop",
                    "regularization": "full-batch steps whose time is all in the kernels: "
                                      "compiling saves nothing and costs five traces"}
    assert set(DEMOS) == set(COMPILED_DEMOS) | set(not_compiled)
    assert not set(COMPILED_DEMOS) & set(not_compiled)
