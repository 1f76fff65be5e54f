"""How long `python -m scratchnet.exercises check NAME` takes, for every exercise.

    python benchmarks/exercise_checks.py            # 5 repetitions of each
    python benchmarks/exercise_checks.py --repeat 1 # a smoke run

The issue's limits: under 2 seconds per exercise, under 10 for network. Each exercise is
checked on the lesson's own classes (files that import them), which passes every check,
so every check runs: the longest a check takes. Two times are reported, as medians:

* "grading": the checks alone, in this process;
* "command": the whole command in a fresh interpreter, what a learner waits for;

and the command's time as a ratio to a baseline measured in the same run, a fresh
interpreter that only imports scratchnet, so that a slow spell of a shared machine shows
up in both. Exit status 1 when a command exceeds its limit.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from scratchnet.exercises.catalogue import EXERCISES
from scratchnet.exercises.command import learner_files

REPOSITORY = Path(__file__).resolve().parent.parent
LIMITS = {"network": 10.0}  # seconds; every other exercise: DEFAULT_LIMIT
DEFAULT_LIMIT = 2.0
ANSWER_KEY = {
    "relu": "ReLU", "sigmoid": "Sigmoid", "linear": "Linear", "bce": "BCELoss",
    "bce_logits": "BCEWithLogitsLoss", "focal": "FocalLoss",
    "focal_logits": "FocalLossWithLogits", "adam": "Adam", "tanh": "Tanh",
}  # fmt: skip


def write_answer_key(folder: Path) -> None:
    """One file per exercise importing the lesson's own class: the answer key."""
    for name, cls in ANSWER_KEY.items():
        (folder / f"{name}.py").write_text(f"from scratchnet import {cls}\n")
    (folder / "network.py").write_text(
        "from scratchnet import train\nfrom scratchnet.article.experiment import article_network\n"
    )


def median_seconds(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def grade_all(exercise, load) -> None:
    for _ in exercise.grade(load):
        pass


def fresh_interpreter(*args: str, cwd: Path) -> None:
    result = subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, env=_env()
    )
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def _env() -> dict:
    """This checkout's scratchnet, whether or not it is the one installed."""
    return {**os.environ, "PYTHONPATH": str(REPOSITORY)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="repetitions (default 5)")
    args = parser.parse_args(argv)
    over_limit = []
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        write_answer_key(folder)
        baseline = median_seconds(
            lambda: fresh_interpreter("-c", "import scratchnet", cwd=folder), args.repeat
        )
        print(f"baseline, a fresh interpreter importing scratchnet: {baseline:.3f} s")
        print(f"{'exercise':<14}{'grading':>10}{'command':>10}{'x baseline':>12}{'limit':>8}")
        for exercise in EXERCISES:
            with learner_files(folder) as load:
                grading = median_seconds(partial(grade_all, exercise, load), args.repeat)
            check = ("-m", "scratchnet.exercises", "check", exercise.name, "--dir", ".")
            command = median_seconds(partial(fresh_interpreter, *check, cwd=folder), args.repeat)
            limit = LIMITS.get(exercise.name, DEFAULT_LIMIT)
            if command > limit:
                over_limit.append(exercise.name)
            print(
                f"{exercise.name:<14}{grading:>9.3f}s{command:>9.3f}s"
                f"{command / baseline:>12.1f}{limit:>7.0f}s"
            )
    if over_limit:
        print(f"over the limit: {', '.join(over_limit)}")
        return 1
    print("every check within its limit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
