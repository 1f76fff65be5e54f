"""Shared test helper: inputs kept away from ReLU's kink."""

import numpy as np

import scratchnet as sn

# A central difference moves an input by h = 1e-3 either way (gradcheck's DEFAULT_STEP);
# every ReLU input stays 50 times farther than that from the kink at 0.
KINK_MARGIN = 0.05


def inputs_away_from_kinks(model: sn.Sequential, rng, n: int, margin: float = KINK_MARGIN):
    """``n`` standard-normal rows of input whose every ReLU input is at least ``margin`` from 0.

    Rows are drawn in bulk and those that come near a kink are rejected, so that a
    finite difference never straddles relu's corner.
    """
    in_features = model.modules[0].in_features
    kept = np.empty((0, in_features))
    while len(kept) < n:
        x = rng.standard_normal((4 * n, in_features))
        far_from_kink = np.ones(len(x), dtype=bool)
        activations = x
        for module in model.modules:
            if isinstance(module, sn.ReLU):
                far_from_kink &= (np.abs(activations) > margin).all(axis=1)
            activations = module.forward(activations)
        kept = np.concatenate([kept, x[far_from_kink]])
    return kept[:n]
