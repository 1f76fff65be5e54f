"""``train`` asks the C allocator to keep freed memory for the next epoch.

An activation of 23,333 rows x 16 float64 values is 3 MB. glibc gives each block that
large fresh pages from the kernel (mmap), and hands them back when NumPy frees it, so every
epoch faulted its pages in again: at 23,333 rows the epoch took 9 to 13 times the article's
4,200-row epoch, not the 5.6 times its arithmetic asks for. Raising glibc's two thresholds
keeps those blocks in the process's heap, where the next epoch finds them
(docs/across-data.md, "The cost of the math alone", has the measurements). No number
changes: only where the bytes live. Freed memory up to ``TRIM_THRESHOLD`` stays with the
process until it exits. On macOS and Windows, or a Linux without glibc (musl), there is
no ``mallopt``, and nothing changes.
"""

from __future__ import annotations

import ctypes
import sys
from functools import cache

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt's parameter numbers, from malloc.h
MMAP_THRESHOLD = 32 * 2**20  # glibc's largest: a bigger block still comes from mmap
TRIM_THRESHOLD = 64 * 2**20  # free memory at the heap's top kept for reuse


@cache
def keep_freed_memory() -> bool:
    """Set glibc's thresholds once per process; True if they were set.

    They replace any set through the environment: Dask's worker processes start with
    ``MALLOC_TRIM_THRESHOLD_=65536``, which hands memory back even sooner, and spent 60% of
    the grid's CPU time in the kernel.
    """
    if not sys.platform.startswith("linux"):
        return False
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)  # the C library the process runs
    if mallopt is None:
        return False
    mmap_set = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    trim_set = mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    return mmap_set == trim_set == 1  # mallopt returns 1 on success
