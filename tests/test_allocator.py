"""train keeps freed memory in the process (scratchnet/_allocator.py): where the C library
allows it, and never at the cost of a number."""

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Trains the article's network on data large enough that glibc's defaults would hand its
# activations back to the kernel each epoch, then prints whether train set the thresholds
# (1: it called keep_freed_memory) and the exact losses.
TRAINING = """
import numpy as np
import scratchnet as sn
from scratchnet._allocator import keep_freed_memory
from scratchnet.article.experiment import article_network
rng = np.random.default_rng(0)
X = rng.normal(size=(30_000, 2))
y = (X[:, :1] + 0.5 * rng.normal(size=(30_000, 1)) > 2.0).astype(float)
model = article_network(0)
history = sn.train(model, sn.BCELoss(), sn.Adam(model.parameters(), lr=0.01), X, y, epochs=5)
print(keep_freed_memory.cache_info().currsize, [float(loss).hex() for loss in history])
"""


def trained(code: str = TRAINING, **environment) -> tuple[str, str]:
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "PYTHONPATH": str(ROOT), **environment},
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    kept, losses = result.stdout.split(" ", 1)
    return kept, losses


@pytest.mark.skipif(
    sys.platform != "linux" or platform.libc_ver()[0] != "glibc", reason="glibc's mallopt"
)
def test_train_sets_the_thresholds_on_glibc_and_changes_no_number():
    as_found = "import scratchnet.training\n" + TRAINING.replace(
        "history =", "scratchnet.training.keep_freed_memory = lambda: False\nhistory ="
    )
    # Dask's worker processes start with this setting, which train must override.
    kept, losses = trained(MALLOC_TRIM_THRESHOLD_="65536")
    found, losses_as_found = trained(as_found)
    assert (kept, found) == ("1", "0")
    assert losses == losses_as_found
    from scratchnet._allocator import keep_freed_memory

    assert keep_freed_memory() is True  # mallopt took both thresholds
