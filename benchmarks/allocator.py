"""What keeping freed memory buys: the epoch's cost as the rows grow, with the C allocator's
thresholds as ``train`` sets them (scratchnet/_allocator.py) and as glibc ships them.

    python benchmarks/allocator.py           # 4,200, 23,333 and 118,999 rows, 7 repeats
    python benchmarks/allocator.py --quick   # 3 repeats: a smoke run

One epoch is what ``sn.train`` does once on the article's 2-16-8-1 network, float64, full
batch: forward, BCE, backward and Adam's step. Every (way, row count) is timed in a fresh
process of its own: the thresholds belong to a process, and glibc moves its own after
each large block it frees, so one row count would set them for the next. The processes
take turns (A B C, A B C, ...) so that a slow spell of a shared machine hits each alike;
each row count is reported as the ratio of its median epoch to the 4,200-row epoch's of
the same way, with the minor page faults per epoch. The arithmetic grows with the rows:
5.6 times the 4,200-row epoch's at 23,333 rows, 28 times at 118,999.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import scratchnet as sn
import scratchnet.training
from scratchnet.article.experiment import LEARNING_RATE, article_network

ROWS = (4_200, 23_333, 118_999)  # the article's training split; a 99.5:0.5 and a 99.9:0.1 cell
EPOCHS = 20  # per timed call
WAYS = {"kept": "memory kept (scratchnet)", "as found": "glibc as found"}


def timed_epochs(rows: int) -> tuple[float, float]:
    """(seconds, minor page faults) per epoch, on ``rows`` rows, after two warm epochs."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(rows, 2))
    y = (X[:, :1] + rng.normal(size=(rows, 1)) > 2.5).astype(np.float64)
    model = article_network(0)
    optimizer = sn.Adam(model.parameters(), lr=LEARNING_RATE)
    sn.train(model, sn.BCELoss(), optimizer, X, y, epochs=2)  # the first epochs allocate
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    start = time.perf_counter()
    sn.train(model, sn.BCELoss(), optimizer, X, y, epochs=EPOCHS)
    seconds = (time.perf_counter() - start) / EPOCHS
    return seconds, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / EPOCHS


def in_a_fresh_process(way: str, rows: int) -> tuple[float, float]:
    child = [sys.executable, str(Path(__file__)), "--way", way, "--rows", str(rows)]
    return tuple(json.loads(subprocess.run(child, capture_output=True, check=True).stdout))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 repeats instead of 7")
    parser.add_argument("--way", choices=WAYS, help=argparse.SUPPRESS)  # a child's
    parser.add_argument("--rows", type=int, help=argparse.SUPPRESS)  # a child's
    args = parser.parse_args()
    if args.way:
        if args.way == "as found":
            scratchnet.training.keep_freed_memory = lambda: False
        print(json.dumps(timed_epochs(args.rows)))
        return
    repeats = 3 if args.quick else 7
    turns = {(way, rows): [] for way in WAYS for rows in ROWS}
    for _ in range(repeats):
        for way, rows in turns:
            turns[way, rows].append(in_a_fresh_process(way, rows))
    print(f"One epoch of 2-16-8-1, float64, full batch: median of {repeats} processes, "
          f"{EPOCHS} epochs each")  # fmt: skip
    print(f"{'':26}" + "".join(f"{rows:>26,} rows" for rows in ROWS))
    for way, label in WAYS.items():
        medians = [
            [statistics.median(column) for column in zip(*turns[way, rows])] for rows in ROWS
        ]
        base = medians[0][0]
        cells = [
            f"{seconds * 1e3:7.2f} ms ({seconds / base:5.2f}x), {faults:6.0f} faults"
            for seconds, faults in medians
        ]
        print(f"{label:26}" + "".join(f"{cell:>31}" for cell in cells))


if __name__ == "__main__":
    main()
