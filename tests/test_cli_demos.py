"""`minigrad demos`: finds the demos of a checkout, runs one, and says where they are when
there is no checkout to find."""

import subprocess
import sys
from pathlib import Path

from minigrad import cli

ROOT = Path(__file__).resolve().parents[1]


def test_demos_folder_is_found_from_a_subfolder_of_the_checkout(monkeypatch, tmp_path):
    # As after `pip install .`: the package does not sit next to the demos folder.
    monkeypatch.setattr(cli.minigrad, "__file__", str(tmp_path / "site" / "minigrad" / "x.py"))
    assert cli.demos_directory(ROOT / "docs") == ROOT / "demos"
    assert cli.demos_directory(tmp_path) is None


def test_demos_outside_a_checkout_says_where_the_scripts_are(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(cli.minigrad, "__file__", str(tmp_path / "site" / "minigrad" / "x.py"))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["demos"]) == 0
    assert "demos/ folder of the minigrad source repository" in capsys.readouterr().out
    assert cli.main(["demos", "run", "xor"]) == 2


def test_demos_list_names_the_common_flags(capsys):
    assert cli.main(["demos", "list"]) == 0
    out = capsys.readouterr().out
    assert "xor.py" in out and "minigrad demos run <name>" in out and "--quick" in out


def test_demos_run_unknown_name_is_a_usage_error(capsys):
    assert cli.main(["demos", "run", "no_such_demo"]) == 2
    assert "xor" in capsys.readouterr().err


def test_demos_run_passes_the_arguments_to_the_demo(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "minigrad", "demos", "run", "first_gradients", "--seed", "2",
         "--out", str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "They agree." in result.stdout
    assert (tmp_path / "first_gradients.svg").stat().st_size > 1000
