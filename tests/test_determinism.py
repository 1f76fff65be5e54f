"""Same seed, same numbers, bit for bit: across two separate Python processes."""

import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np

from scratchnet.article.data import load_article_data
from scratchnet.article.experiment import compare_losses

ROOT = Path(__file__).resolve().parents[1]

# Prints one line per run of the demo's core: a SHA-256 of every number it produced.
CHILD = """
import sys
sys.path.insert(0, {root!r})
from tests.test_determinism import fingerprint
from scratchnet.article.data import load_article_data
from scratchnet.article.experiment import compare_losses
print(fingerprint(compare_losses(load_article_data(), seed=7, epochs=12)))
"""


def fingerprint(runs) -> str:
    """A hash of the exact bytes of every parameter, loss and test probability of ``runs``."""
    digest = hashlib.sha256()
    for name, run in runs.items():
        digest.update(name.encode())
        for param_name, array in run.model.state_dict().items():
            digest.update(param_name.encode() + array.tobytes())
        digest.update(np.array(run.loss_history).tobytes())
        digest.update(run.test_probabilities.tobytes())
    return digest.hexdigest()


def test_the_demo_core_gives_the_same_bits_in_two_processes():
    child = CHILD.format(root=str(ROOT))
    processes = [
        subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120)[0].strip() for process in processes]
    assert all(process.returncode == 0 for process in processes)
    here = fingerprint(compare_losses(load_article_data(), seed=7, epochs=12))
    assert outputs == [here, here]
    other_seed = fingerprint(compare_losses(load_article_data(), seed=8, epochs=12))
    assert other_seed != here
