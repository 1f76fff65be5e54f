"""A Dask cluster for the studies' runs: ``python study.py --grid --dask WHERE``.

    with on_dask("local", workers=2):           # two worker processes on this machine
        runs = run_grid(settings, range(10), range(5))
    with on_dask("tcp://10.0.0.5:8786"):        # a cluster already running
        ...

Inside, ``dispatch`` hands every task to the cluster's workers through joblib's Dask
backend. What travels is the task's arguments, a data setting and two seeds, a few hundred
bytes: each worker builds the data set from its seed (``grid_data.make_data``), and only
the measured runs come back. A task depends on its arguments alone, so the runs are the
same bit for bit on any number of workers. Dask's ``distributed`` is an optional extra:
``python -m pip install -e ".[dask]"``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import joblib

INSTALL = 'python -m pip install -e ".[dask]"'


@contextmanager
def on_dask(where: str, workers: int = 2) -> Iterator[str]:
    """Run ``dispatch``'s tasks on a Dask cluster while inside; yield its dashboard's address.

    where: "local" starts a cluster on this machine of ``workers`` processes, one thread
    each (one task at a time per process, as ``jobs`` runs them), on free ports; any other
    value is the address of a running scheduler, as ``dask scheduler`` prints it
    ("tcp://host:8786"), whose workers are already started.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as error:
        raise ImportError(f"--dask needs Dask's distributed: {INSTALL}") from error
    with ExitStack() as stack:
        if where == "local":
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=workers, threads_per_worker=1, processes=True,
                    dashboard_address=":0", scheduler_port=0,
                    silence_logs=logging.ERROR,  # not the warnings of tasks cancelled by Ctrl-C
                )
            )  # fmt: skip
            client = stack.enter_context(Client(cluster))
        else:
            client = stack.enter_context(Client(where))
        stack.enter_context(joblib.parallel_config(backend="dask", n_jobs=-1))
        yield client.dashboard_link
