"""Runs handed out through joblib: in this process, to local worker processes, or to a cluster.

    with closing(dispatch(run_task, [(setups, seed) for seed in seeds], jobs=2)) as results:
        for result in results:                # in the order they finish
            ...

jobs=1 runs every task here, in order. Any other value goes to ``joblib.Parallel``,
which runs the tasks on the backend joblib is configured with: worker processes on
this machine by default (loky), or a Dask cluster inside

    with joblib.parallel_config(backend="dask", n_jobs=-1):   # needs a distributed.Client
        ...

with no change to scratchnet. Each task must depend only on its arguments, so that
where it runs cannot change its result.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator, Sequence

from joblib import Parallel, delayed
from joblib.parallel import get_active_backend

from scratchnet.doors.values import POSITIVE_INT

# joblib warns that it cancelled tasks when the loop over results stops early. Here that
# is the point: after Ctrl-C or a failed run the tasks not yet started are dropped.
CANCELLED_ON_PURPOSE = r".*(tasks which were still being processed|executed +but not used)"


def dispatch(task: Callable, arguments: Sequence[tuple], *, jobs: int | None) -> Iterator:
    """Yield ``task(*each)`` for each of ``arguments``, as each finishes.

    jobs: 1 runs here, in order; a larger number is joblib's ``n_jobs``; None takes
    ``n_jobs`` from an enclosing ``joblib.parallel_config``, or else ``available_cpus()``.
    Close it when done (``contextlib.closing``): if the caller stops early (an
    exception, Ctrl-C, a ``break``), closing cancels the tasks not yet started, and
    joblib stops its workers instead of finishing them.
    """
    jobs = resolved_jobs(jobs)
    if jobs == 1:
        for each in arguments:
            yield task(*each)
        return
    results = Parallel(n_jobs=jobs, return_as="generator_unordered")(
        delayed(task)(*each) for each in arguments
    )
    try:
        for result in results:  # noqa: UP028 (yield from would close it outside the filter)
            yield result
    finally:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", CANCELLED_ON_PURPOSE, UserWarning)
            results.close()


def resolved_jobs(jobs: int | None) -> int:
    """``jobs`` checked; None becomes the enclosing ``parallel_config``'s n_jobs, if it
    sets one, else ``available_cpus()``."""
    if jobs is not None:
        return POSITIVE_INT.check(jobs, "jobs")
    _, configured = get_active_backend()
    return available_cpus() if configured is None else configured


def available_cpus() -> int:
    """The CPUs this process may run on: the default number of worker processes.

    ``os.sched_getaffinity`` sees a limit set by taskset or a container's cpuset, which
    ``os.cpu_count`` (every CPU of the machine) does not; it is missing on macOS and
    Windows.
    """
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
