"""Scale-out: the same part of the study across data on a local Dask cluster of one worker,
then of two, in this one process; the speed-up, and whether the runs are the same.

    python benchmarks/scale_out.py            # the 99.9:0.1 row, data seeds 0-1, inits 0-1
    python benchmarks/scale_out.py --quick    # the smallest real data set instead: a smoke run

Each worker is a process with one thread, as ``python study.py --grid --dask local`` starts
them. The efficiency is the speed-up divided by the workers added: 1.0 is perfect.
Needs the dask extra.
"""

from __future__ import annotations

import argparse
import time

from scratchnet.article.across_data import run_grid
from scratchnet.article.cluster import on_dask
from scratchnet.article.grid_data import REAL_DATA, default_settings

WORKERS = (1, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small real data set")
    args = parser.parse_args()
    extreme_row = [s for s in default_settings(extreme=True) if s.positive_share == 0.001]
    settings = REAL_DATA[3:4] if args.quick else extreme_row
    walls, results = {}, {}
    for workers in WORKERS:
        with on_dask("local", workers=workers):
            start = time.perf_counter()
            results[workers] = run_grid(settings, range(2), range(2))
            walls[workers] = time.perf_counter() - start
    trainings = len(results[1]) // 2  # each training is measured at 30 and at 100 epochs
    names = "; ".join(setting.name for setting in settings)
    print(f"{trainings} trainings ({names}; data seeds 0-1, initialisations 0-1)")
    for workers, wall in walls.items():
        print(f"  {workers} worker(s): {wall:7.1f} s")
    speed_up = walls[1] / walls[2]
    print(f"  speed-up {speed_up:.2f}, efficiency {speed_up / 2:.0%}")
    print(f"  the same runs on 1 and 2 workers: {results[1] == results[2]}")


if __name__ == "__main__":
    main()
