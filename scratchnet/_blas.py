"""Why ``train`` runs every matrix product on one BLAS thread, and why that lives here.

The article's matrices are small: the largest product of an epoch is (4200, 16) by (16, 8).
Splitting a product that size across threads costs more in waking and synchronising the
threads than it saves in arithmetic, and on a machine whose other cores are busy a thread
that has to wait for a core stalls the whole product. Measured on a shared 2-core machine
(``python benchmarks/performance.py --only threads``, float64, one full-batch epoch), two
threads against one took:

    network          machine as found    one core kept busy
    2-16-8-1         4.1 to 7.2x         6.6 to 8.2x
    2-256-256-1      1.9 to 3.7x         1.9 to 3.9x
    2-1024-1024-1    1.1 to 1.4x         0.95 to 1.15x

So ``train`` limits BLAS to one thread while it runs and restores the previous setting
when it returns. It lives in the library, not in the scripts that call ``train``,
because every caller gains from it (the demo, the study's workers, the estimator, a
learner's own loop of ``train`` calls) and none of them should have to remember it;
a network wide enough for threads to pay off on an idle many-core machine is beyond
what this library is for. BLAS libraries keep the setting per process: while ``train``
runs, matrix products in the process's other threads use one thread too.
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
