"""Every demo takes the same options, and --help shows their defaults."""

import importlib.util
from pathlib import Path

import pytest

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
