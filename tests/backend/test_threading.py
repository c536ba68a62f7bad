"""minigrad's thread setup: its own Numba layer, and no setting that another library reads.

Each check runs in a fresh interpreter, because Numba chooses its threading layer once per
process and the test process has long made that choice.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The parallel twin of im2col at any size (test-sized work runs on one thread otherwise).
FORCE_PARALLEL = """
from minigrad.backend.cpu import conv
conv._im2col.grain = conv._col2im.grain = 0
"""

# A LeNet-sized convolution, its im2col kernels run in parallel.
RUN_PARALLEL_KERNEL = FORCE_PARALLEL + """
import numpy as np
x = minigrad.tensor(np.ones((64, 6, 14, 14), np.float32), requires_grad=True)
w = minigrad.tensor(np.ones((16, 6, 5, 5), np.float32), requires_grad=True)
minigrad.nn.functional.conv2d(x, w).sum().backward()
"""


def run_python(code: str, **environment: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON object, returned here."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("NUMBA_THREADING_LAYER", "OMP_WAIT_POLICY")}
    env.update(environment)
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=ROOT, env=env).stdout
    return json.loads(output.strip().splitlines()[-1])


def test_parallel_kernels_use_numbas_workqueue_and_set_no_openmp_policy():
    result = run_python("import json, os, minigrad, numba\n" + RUN_PARALLEL_KERNEL +
                        "print(json.dumps({'layer': numba.threading_layer(),"
                        " 'policy': os.environ.get('OMP_WAIT_POLICY')}))")
    assert result == {"layer": "workqueue", "policy": None}


def test_workqueue_chosen_when_numba_was_imported_before_minigrad():
    result = run_python("import json, numba, minigrad\n" + RUN_PARALLEL_KERNEL +
                        "print(json.dumps({'layer': numba.threading_layer()}))")
    assert result == {"layer": "workqueue"}


def test_a_layer_the_user_chose_is_kept():
    result = run_python("import json, os, minigrad, numba\n"
                        "print(json.dumps({'config': numba.config.THREADING_LAYER,"
                        " 'env': os.environ['NUMBA_THREADING_LAYER']}))",
                        NUMBA_THREADING_LAYER="omp")
    assert result == {"config": "omp", "env": "omp"}


def test_kernels_called_from_several_python_threads_at_once_all_finish():
    # Numba's workqueue pool ends the process on concurrent launches; minigrad serialises
    # its kernel calls, so every thread finishes with the right answer.
    result = run_python(
        "import json, threading, numpy as np\n" + FORCE_PARALLEL +
        "x = np.ones((64, 6, 14, 14), np.float32)\n"
        "w = np.ones((16, 6, 5, 5), np.float32)\n"
        "def work(results, slot):\n"
        "    for _ in range(20):\n"
        "        out = conv.conv2d(x, w, None, (1, 1), (0, 0), (1, 1), 1)\n"
        "    results[slot] = float(out.max())\n"
        "results = [None] * 4\n"
        "threads = [threading.Thread(target=work, args=(results, i)) for i in range(4)]\n"
        "for t in threads: t.start()\n"
        "for t in threads: t.join()\n"
        "print(json.dumps(results))")
    # every output sums 6 channels x 5 x 5 taps of ones
    assert result == [150.0] * 4
