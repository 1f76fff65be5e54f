"""Why ``train`` runs every matrix product on one BLAS thread, and why that lives here.

The article's matrices are small: the largest product of an epoch is (4200, 16) by
(16, 8). Splitting a product that size across threads costs more in waking and
synchronising them than it saves, and on a busy machine a thread waiting for a core
stalls the whole product. Measured on a shared 2-core machine (``python
benchmarks/performance.py --only threads``, ``docs/performance.md``), two threads took
4 to 9 times as long as one on the 2-16-8-1 network, and never won even at 2-1024-1024-1.

So ``train`` limits BLAS to one thread while it runs and restores the setting after.
It lives in the library because every caller gains from it (the demo, the study's
workers, the estimator, a learner's loop of ``train`` calls) and none should have to
remember it. BLAS keeps the setting per process: while ``train`` runs, products in the
process's other threads use one thread too.
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
