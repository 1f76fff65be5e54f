"""``train`` runs every matrix product on one BLAS thread: the article's matrices are
small, and two threads took 4 to 9 times as long as one on the 2-16-8-1 network (why,
and how it was measured: docs/performance.md). BLAS keeps the setting per process.
"""

from __future__ import annotations

from functools import cache

from threadpoolctl import ThreadpoolController


@cache
def _controller() -> ThreadpoolController:
    # Built once: finding the BLAS libraries the process has loaded takes about 1 ms,
    # while entering and leaving a limit on them takes about 10 us.
    return ThreadpoolController()


def one_blas_thread():
    """A context manager inside which every loaded BLAS library runs on one thread."""
    return _controller().limit(limits=1, user_api="blas")
