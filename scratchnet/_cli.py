"""Command-line flags shared by demo.py and study.py: each bad value is one line and exit 2."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path


class OneLineErrorParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr, without the usage block."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def positive_int(text: str) -> int:
    return _int_at_least(text, 1, "a positive integer")


def non_negative_int(text: str) -> int:
    return _int_at_least(text, 0, "a non-negative integer")


def _int_at_least(text: str, low: int, expected: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < low:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return value


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


def create_output_folder(folder: Path, prog: str) -> None:
    """Create ``folder`` before any work is done, or exit 2 with one line saying why."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = error.strerror or str(error)
        print(f"{prog}: error: argument --out: cannot create {folder}: {reason}", file=sys.stderr)
        raise SystemExit(2) from None
