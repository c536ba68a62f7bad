"""The confidence interval that benchmarks/versus_torch.py reports for its median ratios.

The benchmarks are run by hand, but whether a speed goal counts as shown rests on this
interval, so its coverage is checked here: exactly against the binomial formula, and by
simulation on skewed draws.
"""

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

TIMING = Path(__file__).resolve().parents[1] / "benchmarks" / "timing.py"
spec = importlib.util.spec_from_file_location("benchmark_timing", TIMING)
timing = importlib.util.module_from_spec(spec)
spec.loader.exec_module(timing)


def test_too_few_values_give_no_interval():
    # even the whole range of 5 values misses the median with probability 2 / 2**5 > 5%
    assert timing.median_interval([1.0, 2.0, 3.0, 4.0, 5.0]) is None


@pytest.mark.parametrize("count, k", [(6, 1), (7, 1), (15, 4), (21, 6), (25, 8)])
def test_interval_is_the_kth_values_from_each_end(count, k):
    values = np.random.default_rng(count).permutation(count).astype(float)
    low, high, coverage = timing.median_interval(values)
    assert (low, high) == (k - 1, count - k)  # the k-th smallest and k-th largest
    miss = 2 * sum(math.comb(count, i) for i in range(k)) / 2**count
    assert coverage == pytest.approx(1 - miss)
    assert coverage >= 0.95
    # one step narrower would miss more often than 5%
    narrower_miss = miss + 2 * math.comb(count, k) / 2**count
    assert narrower_miss > 0.05


def test_interval_covers_the_median_of_skewed_draws_95_percent_of_the_time():
    rng = np.random.default_rng(0)
    true_median = math.exp(-0.1)  # of lognormal(-0.1, 0.3) draws, like noisy timing ratios
    trials = 2000
    covered = 0
    for _ in range(trials):
        low, high, _ = timing.median_interval(rng.lognormal(-0.1, 0.3, size=25))
        covered += low <= true_median <= high
    assert 0.94 <= covered / trials <= 0.975  # exact coverage 95.7%, 2000 trials
