"""Command-line flags shared by demo.py and study.py: each bad value is one line and exit 2."""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
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


def usable_output_folder(folder: Path, prog: str) -> bool:
    """Create ``folder`` and write a file in it, before any work is done.

    Returns False, after one line on stderr in the parser's style, when that fails, so
    that a bad --out costs a second rather than a run's worth of training.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # A real write, not a look at permission bits: root ignores those, and they do
        # not show a read-only mount.
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        reason = error.strerror or str(error)
        print(f"{prog}: error: cannot use --out {folder} as a folder: {reason}", file=sys.stderr)
        return False
    return True
