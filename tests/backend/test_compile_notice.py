"""The first compile of a minigrad kernel prints one line; a run that loads the kernels from
Numba's cache prints nothing."""

import os
import subprocess
import sys

from minigrad.backend.compile_notice import NOTICE

# A max-pool forward compiles one small kernel (about a second).
POOL_ONCE = ("import minigrad, minigrad.nn.functional as F\n"
             "F.max_pool2d(minigrad.ones(1, 1, 4, 4), 2)\n"
             "F.max_pool2d(minigrad.ones(1, 1, 4, 4), 2)\n")


def run_with_cache(cache_dir) -> str:
    environment = {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir)}
    result = subprocess.run([sys.executable, "-c", POOL_ONCE], capture_output=True, text=True,
                            env=environment, check=False)
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_notice_once_on_first_compile_and_not_when_cached(tmp_path):
    first = run_with_cache(tmp_path)
    assert first.count(NOTICE) == 1 and "\n" not in NOTICE
    assert NOTICE not in run_with_cache(tmp_path)
