"""pyproject.toml: the dev extra pulls no CUDA package, the digits file ships with the
package, and pytest knows the install marker."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def requirement_names(requirements: list[str]) -> set[str]:
    names = set()
    for requirement in requirements:
        name = requirement.split(";")[0]
        for separator in ("[", "=", "<", ">", "~", "!", " "):
            name = name.split(separator)[0]
        names.add(name.strip().lower())
    return names


def test_dev_extra_installs_no_cuda_package():
    extras = PROJECT["project"]["optional-dependencies"]
    dev = requirement_names(extras["dev"])
    assert not {name for name in dev if "cuda" in name or name.startswith("nvidia")}
    assert not any("minigrad[" in requirement and "cuda" in requirement
                   for requirement in extras["dev"])
    assert "numba-cuda" in requirement_names(extras["cuda"])


def test_digits_ship_as_package_data():
    package_data = PROJECT["tool"]["setuptools"]["package-data"]["minigrad.data"]
    assert "files/*.npz" in package_data
    assert (ROOT / "minigrad" / "data" / "files" / "digits.npz").stat().st_size < 100_000
    assert "CC BY 4.0" in (ROOT / "minigrad" / "data" / "files" / "README.md").read_text()


def test_notebook_runner_is_a_dev_dependency():
    dev = requirement_names(PROJECT["project"]["optional-dependencies"]["dev"])
    assert {"nbclient", "nbformat", "ipykernel"} <= dev
