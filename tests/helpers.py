"""Shared test helper: inputs kept away from ReLU's kink, as the gradient checker draws them."""

from scratchnet.gradcheck import KINK_MARGIN, inputs_away_from_kinks

__all__ = ["KINK_MARGIN", "inputs_away_from_kinks"]
