"""How long `python -m scratchnet.exercises check NAME` takes, for every exercise.

    python benchmarks/exercise_checks.py            # 5 repetitions of each
    python benchmarks/exercise_checks.py --repeat 1 # a smoke run

The limits: under 1 second per exercise, under 10 for network. Each exercise is checked
twice over:

* on the lesson's own classes (files that import them), which pass every check, so that
  every check runs;
* on the slowest of its wrong answers that no catalogue names (tests/
  exercise_uncatalogued.py), where every failed check is diagnosed by the probes of
  scratchnet.exercises.patterns, some of which run the learner's code again.

Times are medians: "grading", the checks alone, in this process; "command", the whole
command in a fresh interpreter, what a learner waits for; "its cpu", the CPU time that
command used, which a machine busy with other work does not inflate; and the command's
time as a ratio to a baseline measured in the same run, a fresh interpreter that only
imports scratchnet, so that a slow spell of a shared machine shows up in both. The limits
hold the CPU time, what a learner waits for on a machine doing nothing else (on a shared
machine the wall time can be several times longer); exit status 1 when a command
exceeds its limit.
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
from types import SimpleNamespace

from scratchnet.exercises.catalogue import EXERCISES
from scratchnet.exercises.command import learner_files

REPOSITORY = Path(__file__).resolve().parent.parent
LIMITS = {"network": 10.0}  # seconds; every other exercise: DEFAULT_LIMIT
DEFAULT_LIMIT = 1.0
TESTS = REPOSITORY / "tests"
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


def median_cpu_seconds(run, repeat: int) -> float:
    """The CPU time of the processes ``run`` starts (user and system), a median: what a
    loaded machine's wait for a core does not inflate."""
    times = []
    for _ in range(repeat):
        before = os.times()
        run()
        after = os.times()
        times.append(
            after.children_user - before.children_user
            + after.children_system - before.children_system
        )
    return statistics.median(times)


def grade_all(exercise, load) -> None:
    for _ in exercise.grade(load):
        pass


def fresh_interpreter(*args: str, cwd: Path, status: int = 0) -> None:
    result = subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, env=_env()
    )
    if result.returncode != status:
        raise SystemExit(f"{' '.join(args)} failed:\n{result.stdout}{result.stderr}")


def _env() -> dict:
    """This checkout's scratchnet, whether or not it is the one installed, and the tests'
    wrong answers."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPOSITORY), str(TESTS)])}


def slowest_wrong_answer(exercise, repeat: int):
    """The uncatalogued wrong answer whose grading takes longest, and that time."""
    sys.path.insert(0, str(TESTS))
    from exercise_uncatalogued import HELD_OUT, UNCATALOGUED

    slowest = (None, 0.0)
    for name, wrong, _ in UNCATALOGUED + HELD_OUT:
        if name == exercise.name:
            answer = SimpleNamespace(**{ANSWER_KEY[name]: wrong})
            learner = partial(lambda _, answer: answer, answer=answer)  # bound now, not later
            seconds = median_seconds(partial(grade_all, exercise, learner), repeat)
            slowest = max(slowest, (wrong, seconds), key=lambda pair: pair[1])
    return slowest


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
        print(f"{'exercise':<14}{'answer':<34}{'grading':>9}{'command':>9}{'its cpu':>9}"
              f"{'x baseline':>12}{'limit':>7}")  # fmt: skip
        for exercise in EXERCISES:
            with learner_files(folder) as load:
                grading = median_seconds(partial(grade_all, exercise, load), args.repeat)
            check = ("-m", "scratchnet.exercises", "check", exercise.name, "--dir", ".")
            run = partial(fresh_interpreter, *check, cwd=folder)
            rows = [("the lesson's (passes)", grading, median_seconds(run, args.repeat),
                     median_cpu_seconds(run, args.repeat))]  # fmt: skip
            wrong, wrong_grading = slowest_wrong_answer(exercise, args.repeat)
            if wrong is not None:
                with tempfile.TemporaryDirectory() as other:
                    (Path(other) / f"{exercise.name}.py").write_text(
                        f"from exercise_uncatalogued import {wrong.__name__} as "
                        f"{ANSWER_KEY[exercise.name]}\n"
                    )
                    run = partial(fresh_interpreter, *check, cwd=Path(other), status=1)
                    rows.append((wrong.__name__, wrong_grading, median_seconds(run, args.repeat),
                                 median_cpu_seconds(run, args.repeat)))  # fmt: skip
            limit = LIMITS.get(exercise.name, DEFAULT_LIMIT)
            for answer, grading, command, cpu in rows:
                if cpu > limit:
                    over_limit.append(f"{exercise.name} ({answer})")
                print(
                    f"{exercise.name:<14}{answer:<34}{grading:>8.3f}s{command:>8.3f}s"
                    f"{cpu:>8.3f}s{command / baseline:>12.1f}{limit:>6.0f}s"
                )
    if over_limit:
        print(f"over the limit: {', '.join(over_limit)}")
        return 1
    print("every check within its limit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
