"""Every demo runs in --quick mode, writes its figures, and each figure can be projected: a
title, labelled axes, a legend wherever there is more than one series, a colour key for
colour-coded images, and a shape that fits a slide."""

import importlib.util
import struct
from pathlib import Path

import matplotlib
import pytest
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure

ROOT = Path(__file__).resolve().parents[1]
DEMOS = sorted(path.stem for path in (ROOT / "demos").glob("*.py"))

# Wider than 2.4 : 1 (a 16:9 slide is 1.78 : 1) turns into a strip once it fits the slide's
# width; taller than 1 : 1.4 leaves no room for the slide's title.
WIDEST, NARROWEST = 2.4, 1 / 1.4
GREY_MAPS = {"gray", "gray_r", "Greys", "Greys_r", "binary", "binary_r"}


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) in pixels, read from the PNG header."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG file"
    return struct.unpack(">II", header[16:24])


def run_demo(name: str, out: Path, monkeypatch) -> dict[str, Figure]:
    """Run demos/NAME.py --quick in this process; return the figures it saved, by file name."""
    saved: dict[str, Figure] = {}
    real_savefig = Figure.savefig

    def recording_savefig(figure, path, *args, **kwargs):
        saved[Path(path).name] = figure
        return real_savefig(figure, path, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", recording_savefig)
    spec = importlib.util.spec_from_file_location(f"demo_{name}", ROOT / "demos" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main(["--quick", "--out", str(out)])
    assert result in (None, 0) or isinstance(result, float), f"{name} returned {result!r}"
    return saved


def series_count(axis) -> int:
    """Curves, scatter sets and bar groups drawn in ``axis`` (reference lines excluded)."""
    curves = [line for line in axis.lines if len(line.get_xdata()) > 2]
    scatters = [c for c in axis.collections if isinstance(c, PathCollection)]
    return len(curves) + len(scatters) + len(axis.containers)


def style_problems(name: str, figure: Figure) -> list[str]:
    problems = []
    colour_bars = [axis for axis in figure.axes if hasattr(axis, "_colorbar")]
    panels = [axis for axis in figure.axes if axis.axison and axis not in colour_bars]
    suptitle = figure._suptitle.get_text() if figure._suptitle else ""
    if not suptitle and not all(axis.get_title() for axis in panels):
        problems.append("a panel without a title (and no figure title)")
    legend_in_figure = bool(figure.legends)
    for axis in panels:
        where = f"panel {axis.get_title()!r}"
        if not axis.get_xlabel() or not axis.get_ylabel():
            problems.append(f"{where}: an axis without a label")
        if series_count(axis) > 1 and axis.get_legend() is None and not legend_in_figure:
            problems.append(f"{where}: {series_count(axis)} series but no legend")
    coloured = [image for axis in figure.axes for image in axis.images
                if image.get_cmap().name not in GREY_MAPS]
    if coloured and not colour_bars:
        problems.append("a colour-coded image without a colour bar")
    return [f"{name}: {problem}" for problem in problems]


@pytest.mark.parametrize("demo", DEMOS)
def test_demo_writes_figures_fit_for_a_slide(demo, tmp_path, monkeypatch, capsys):
    matplotlib.use("Agg")
    figures = run_demo(demo, tmp_path, monkeypatch)
    assert capsys.readouterr().out.strip(), "a demo prints what it did"
    written = sorted(path.name for path in tmp_path.iterdir())
    assert written, f"{demo} wrote nothing to --out"
    for file_name in written:
        assert (tmp_path / file_name).stat().st_size > 1000, f"{file_name} is nearly empty"
    problems = []
    for file_name, figure in figures.items():
        problems += style_problems(file_name, figure)
        width, height = png_size(tmp_path / file_name)
        if not NARROWEST <= width / height <= WIDEST:
            problems.append(f"{file_name}: {width}x{height} pixels does not fit a slide")
    assert not problems, "\n".join(problems)
