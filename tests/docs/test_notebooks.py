"""The class notebooks in docs/notebooks/ are stored without outputs and run top to bottom in
a Jupyter kernel, with their drawings and plots shown inline; the graph drawings also render
when no system Graphviz is on the PATH."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "docs" / "notebooks").glob("*.ipynb"))


def test_there_is_a_notebook_for_each_lesson():
    names = {path.stem for path in NOTEBOOKS}
    assert {"01_chain_rule", "02_first_mlp", "03_cnn_pooling", "04_optimizers"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_is_stored_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{path.name}: strip the outputs before committing")


def run_notebook(path: Path, tmp_path: Path, monkeypatch) -> nbformat.NotebookNode:
    # The kernel imports this checkout's minigrad, draws to files in tmp_path, and finds no
    # `dot` program: only the Python interpreter's own folder is on its PATH.
    monkeypatch.setenv("PYTHONPATH", f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    return notebook


def output_types(cell) -> set[str]:
    types = set()
    for output in cell.outputs:
        types.update(output.get("data", {}))
    return types


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_runs_top_to_bottom(path, tmp_path, monkeypatch):
    notebook = run_notebook(path, tmp_path, monkeypatch)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    errors = [output for cell in code_cells for output in cell.outputs
              if output.output_type == "error"]
    assert not errors
    drawings = [cell for cell in code_cells if "draw(" in cell.source.splitlines()[-1]]
    plots = [cell for cell in code_cells if "plt.subplots" in cell.source
             or "plot_decision_boundary(" in cell.source]
    assert drawings or plots, f"{path.name} shows no picture"
    for cell in drawings:
        assert "image/svg+xml" in output_types(cell), f"no inline drawing for:\n{cell.source}"
        svg = next(output.data["image/svg+xml"] for output in cell.outputs
                   if "image/svg+xml" in output.get("data", {}))
        # The two-neuron graph: six leaves and eleven operations, at least.
        assert svg.count('class="node"') >= 15, svg[:500]
    for cell in plots:
        assert output_types(cell) & {"image/png", "image/svg+xml"}, (
            f"no inline plot for:\n{cell.source}")
