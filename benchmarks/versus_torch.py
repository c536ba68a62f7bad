"""minigrad against PyTorch, each at its own defaults, each in its own fresh process.

    python benchmarks/versus_torch.py                      # all main workloads, 5 rounds
    python benchmarks/versus_torch.py --rounds 3 --workloads lenet conv2 conv2b
    python benchmarks/versus_torch.py --no-mixed           # skip the one-process runs

How it measures, and why:

- **Defaults only.** Neither library gets a thread count, a wait policy or any other
  setting from this script: no ``*_NUM_THREADS``, no ``OMP_WAIT_POLICY``, no
  ``torch.set_num_threads``. The child processes inherit the caller's environment as it is
  (the table header prints the variables that would matter, so a reader sees they were
  unset).
- **One fresh process per library per round.** A process imports one library and times
  every workload; the other library is never loaded there, so neither can slow the other.
- **Alternating rounds.** Round 1 runs minigrad's process first, round 2 PyTorch's, and so
  on; on a shared machine the load changes over minutes, and alternating spreads it over
  both sides. Per round, ratio = minigrad time / PyTorch time; the table shows the median
  time of each side, the median ratio and the lowest and highest ratio over the rounds.
- **How sure the median is.** Single rounds on a shared 2-core machine scatter by +-30%,
  so a median of 7 rounds can land on either side of 1.0 for the same code. Each table
  also gives a distribution-free 95% confidence interval of the median ratio
  (``timing.median_interval``): a goal such as "at most 1.0x" is shown when the whole
  interval is at or below 1.0. With 7 rounds the interval is the whole range; about 25
  rounds narrow it to the middle third of the ratios.
- **Inside a process:** warm-up steps for at least 0.3 s (which also loads compiled
  kernels), then 15 blocks of about 40 ms each; the process reports the median time per
  step over the blocks, and the best block (the one least disturbed by other work on the
  machine: on a busy machine the medians measure the load as much as the code, and the
  best-block ratios are the steadier comparison).
- **The mixed case** (unless ``--no-mixed``): does a library slow down once the other one
  has been loaded and used in the same process? Two more processes per round answer it
  directly: one times minigrad, then loads PyTorch and times it, then times minigrad again;
  the other does the same the other way round. Ratio = the second time / the first time,
  both in one process, seconds apart. Two more processes per round are the control: each
  times one library twice with nothing in between, to show what a second timing in the
  same process gives without the other library (warmer caches, the machine's drift). The
  same runs also give each library's time after the other over its own fresh process alone
  (different processes, tens of seconds apart: on a shared virtual machine that comparison
  carries the machine's changing load as well, so it is the noisier of the two).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]  # run from a checkout, uninstalled
from timing import median_interval, worker_report  # noqa: E402 - benchmarks/timing.py
from workloads import WORKLOADS, load  # noqa: E402 - benchmarks/workloads.py

MAIN_WORKLOADS = ["ops", "mlp64", "mlp256", "lenet"]
WARMUP_SECONDS = 0.3
BLOCKS = 15
BLOCK_SECONDS = 0.04
LIBRARIES = ("minigrad", "torch")
# Settings that would change a library's threading if set; printed, never set.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "MKL_NUM_THREADS",
                    "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS", "NUMBA_THREADING_LAYER")


def resident_mb() -> float:
    """Current resident set size of this process, in MB (from /proc/self/statm)."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def time_step(step) -> tuple[float, float, float]:
    """(median and best seconds per step over the blocks, resident-memory growth in MB while
    timing) of ``step``."""
    start = time.perf_counter()
    warmup_steps = 0
    while warmup_steps < 3 or time.perf_counter() - start < WARMUP_SECONDS:
        step()
        warmup_steps += 1
    per_step = (time.perf_counter() - start) / warmup_steps
    steps_per_block = max(1, round(BLOCK_SECONDS / per_step))
    memory_before = resident_mb()
    block_times = []
    for _ in range(BLOCKS):
        start = time.perf_counter()
        for _ in range(steps_per_block):
            step()
        block_times.append((time.perf_counter() - start) / steps_per_block)
    return (statistics.median(block_times), min(block_times),
            resident_mb() - memory_before)


def time_library(library_name: str, workload_names: list[str]) -> dict:
    library = load(library_name)
    results = {}
    for name in workload_names:
        seconds, best, growth = time_step(WORKLOADS[name][1](library))
        results[name] = {"seconds": seconds, "best_seconds": best, "rss_growth_mb": growth}
    return results


def worker(sequence: list[str], workload_names: list[str]) -> dict:
    """Runs in a child process: time each library of ``sequence`` in turn, importing it just
    before its first timing; a library named twice is timed twice (``minigrad torch
    minigrad``: minigrad alone, then PyTorch, then minigrad with PyTorch loaded and used)."""
    report = {"timings": [time_library(name, workload_names) for name in sequence]}
    if "minigrad" in sequence:
        import numba

        try:
            layer = numba.threading_layer()
        except ValueError:  # no parallel kernel ran, so no layer was chosen
            layer = "none loaded"
        report["numba"] = {"threading_layer": layer, "threads": numba.get_num_threads()}
    if "torch" in sequence:
        import torch

        report["torch_threads"] = torch.get_num_threads()
    return report


def run_worker(sequence: list[str], workload_names: list[str]) -> dict:
    return worker_report(__file__, [*sequence, "--workloads", *workload_names])


def spread(values: list[float]) -> str:
    return f"{min(values):.2f}-{max(values):.2f}"


def interval(values: list[float]) -> str:
    """The 95% interval of the median (see ``timing.median_interval``), as "low-high"."""
    found = median_interval(values)
    return "too few rounds" if found is None else f"{found[0]:.2f}-{found[1]:.2f}"


def describe_machine() -> str:
    model = "unknown CPU"
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    import numba
    import numpy

    variables = ", ".join(f"{name}={os.environ.get(name, 'unset')}" for name in THREAD_VARIABLES)
    return (f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {model}, {os.cpu_count()} "
            f"cores; Python {platform.python_version()}, numpy {numpy.__version__}, numba "
            f"{numba.__version__}\nenvironment: {variables}")


def print_table(title: str, rows: list[tuple],
                columns: tuple[str, str] = ("minigrad ms", "PyTorch ms")) -> None:
    print(f"\n{title}")
    print(f"| work | {columns[0]} | {columns[1]} | ratio (median) | 95% interval of the "
          "median | ratio range |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print("| {} | {:.3f} | {:.3f} | {:.2f} | {} | {} |".format(*row))


def ratio_rows(numerators: list[dict], denominators: list[dict], workloads: list[str],
               key: str) -> list[tuple]:
    """Per workload: (description, median numerator ms, median denominator ms, median of the
    per-round ratios, its 95% interval, their range); ``key`` picks the per-process median
    or best block."""
    rows = []
    for workload in workloads:
        tops = [run[workload][key] for run in numerators]
        bottoms = [run[workload][key] for run in denominators]
        ratios = [a / b for a, b in zip(tops, bottoms, strict=True)]
        rows.append((WORKLOADS[workload][0], 1e3 * statistics.median(tops),
                     1e3 * statistics.median(bottoms), statistics.median(ratios),
                     interval(ratios), spread(ratios)))
    return rows


def paired_rows(pairs: list[tuple[dict, dict]], controls: list[tuple[dict, dict]],
                workloads: list[str], key: str) -> list[tuple]:
    """Per workload, from (first, second) timings in one process: (description, median first
    ms, median second ms, median of the second/first ratios, its 95% interval, their
    range, the same median and range for the control processes)."""
    rows = []
    for workload in workloads:
        with_other, control = ([second[workload][key] / first[workload][key]
                                for first, second in runs] for runs in (pairs, controls))
        rows.append((WORKLOADS[workload][0],
                     1e3 * statistics.median(first[workload][key] for first, _ in pairs),
                     1e3 * statistics.median(second[workload][key] for _, second in pairs),
                     statistics.median(with_other), interval(with_other), spread(with_other),
                     statistics.median(control), spread(control)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workloads", nargs="+", default=MAIN_WORKLOADS,
                        choices=list(WORKLOADS))
    parser.add_argument("--no-mixed", action="store_true", help="skip the one-process runs")
    parser.add_argument("--worker", nargs="+", choices=LIBRARIES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.workloads)))
        return

    print(describe_machine())
    load_before = os.getloadavg()[0]
    alone = {name: [] for name in LIBRARIES}
    # each library's (first, second) timings in one process, the other library in between
    # or (control) nothing in between
    paired = {name: [] for name in LIBRARIES}
    control = {name: [] for name in LIBRARIES}
    details = {}
    for round_number in range(args.rounds):
        order = LIBRARIES if round_number % 2 == 0 else LIBRARIES[::-1]
        for name in order:
            report = run_worker([name], args.workloads)
            alone[name].append(report["timings"][0])
            details.update({key: report[key] for key in ("numba", "torch_threads")
                            if key in report})
        if not args.no_mixed:
            for first, second in (order, order[::-1]):
                timings = run_worker([first, second, first], args.workloads)["timings"]
                paired[first].append((timings[0], timings[2]))
                timings = run_worker([first, first], args.workloads)["timings"]
                control[first].append((timings[0], timings[1]))
        print(f"round {round_number + 1}/{args.rounds} done", file=sys.stderr)

    print(f"{args.rounds} rounds, alternating which library goes first; load average "
          f"{load_before:.2f} before, {os.getloadavg()[0]:.2f} after; numba "
          f"{details.get('numba')}, PyTorch threads {details.get('torch_threads')}")

    print_table("Each library alone in its own process, median blocks "
                "(ratio = minigrad / PyTorch)",
                ratio_rows(alone["minigrad"], alone["torch"], args.workloads, "seconds"))
    print_table("The same runs, best blocks",
                ratio_rows(alone["minigrad"], alone["torch"], args.workloads, "best_seconds"))

    growth = {name: max(run[workload]["rss_growth_mb"] for workload in args.workloads
                        for run in alone[name]) for name in LIBRARIES}
    print(f"\nlargest resident-memory growth while timing: minigrad {growth['minigrad']:.2f} "
          f"MB, PyTorch {growth['torch']:.2f} MB")
    if args.no_mixed:
        return

    for name, other in (("minigrad", "PyTorch"), ("torch", "minigrad")):
        for key, label in (("seconds", "median"), ("best_seconds", "best")):
            print(f"\n{name} in one process: timed, then {other} loaded and run, then {name} "
                  f"timed again, {label} blocks (ratio = second / first; control: a process "
                  f"that times {name} twice with nothing in between)")
            print("| work | first ms | second ms | ratio (median) | 95% interval of the "
                  "median | ratio range | control ratio (median) | control range |")
            print("|---|---:|---:|---:|---:|---:|---:|---:|")
            for row in paired_rows(paired[name], control[name], args.workloads, key):
                print("| {} | {:.3f} | {:.3f} | {:.2f} | {} | {} | {:.2f} | {} |".format(*row))
    for name, other in (("minigrad", "PyTorch"), ("torch", "minigrad")):
        print_table(f"{name} after {other} ran, over {name} alone in its own process, median "
                    "blocks (different processes of one round)",
                    ratio_rows([second for _, second in paired[name]], alone[name],
                               args.workloads, "seconds"),
                    columns=("after ms", "alone ms"))


if __name__ == "__main__":
    main()
