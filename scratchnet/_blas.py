"""Why ``train`` runs every matrix product on one BLAS thread.

The article's matrices are small: the largest product of an epoch is (4200, 16) by (16, 8).
Splitting a product that size across threads costs more in waking and synchronising the
threads than it saves in arithmetic, and on a machine whose other cores are busy a thread
that has to wait for a core stalls the whole product. On a shared 2-core machine, an
epoch's matrix products gained nothing from OpenBLAS's default of 2 threads when the
machine was quiet (between 1.03 and 1.3 times the one-thread time across runs), and ran
up to 50 times slower while other work kept both cores busy
(``python benchmarks/performance.py`` prints the two).

So ``train`` limits BLAS to one thread while it runs and restores the previous setting
when it returns. BLAS libraries keep that setting per process: while ``train`` runs,
matrix products in the process's other threads use one thread too.
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
