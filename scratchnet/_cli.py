"""Command-line flags shared by demo.py and study.py: each bad value is one line and exit 2."""

from __future__ import annotations

import argparse
import math


class OneLineErrorParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr, without the usage block."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def positive_int(text: str) -> int:
    value = non_negative_int(text, expected="a positive integer")
    if value == 0:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def non_negative_int(text: str, expected: str = "a non-negative integer") -> int:
    if not text.strip().lstrip("+").isdigit():
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return int(text)


def positive_number(text: str) -> float:
    return _finite_number(text, lambda value: value > 0, "a positive number")


def non_negative_number(text: str) -> float:
    return _finite_number(text, lambda value: value >= 0, "a non-negative number")


def _finite_number(text: str, in_range, expected: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and in_range(value)):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return value
