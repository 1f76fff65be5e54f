"""What every exercise's grading shares: a check's result, the learner's errors, and the
comparison of a gradient with its expected value that names the mistake it finds.

A grader is a generator of ``Check``s, one per line of output. It calls the learner's
code only through ``run``, so that an exception raised there stops the grading as a
``LearnerError``: the exception's type, its message and the learner's own ``file:line``,
never a traceback.

``run`` also keeps the clock: inside ``time_limit(seconds)``, the learner's calls may
take that many seconds in all, and one that would take longer is stopped with a
``TimeLimitExceeded`` naming it.

Mistakes are diagnosed by probes, not guessed from the size of an error: each catalogued
``Mistake`` computes what the learner's tensor would be had they made it, on the very
inputs just used, and the first one the learner's tensor equals gives its hint. A tensor
that equals none is measured against the right one by ``patterns``. Each ``Hint`` says
which of the two it is.
"""

from __future__ import annotations

import signal
import sysconfig
import threading
import traceback
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scratchnet.exercises import patterns
from scratchnet.gradcheck import FLOAT64, numerical_vjp, relative_error

_STARTERS = Path(__file__).resolve().parent / "starters"
# Where a learner's exception is not their line: frames in these folders are skipped.
_NOT_THE_LEARNERS = (
    Path(__file__).resolve().parents[1],
    Path(np.__file__).resolve().parent,
    Path(sysconfig.get_paths()["stdlib"]).resolve(),
)

DTYPES = (np.float64, np.float32)  # every gradient check runs in both
SEEDS = (0, 1)  # and on each shape, with inputs drawn from each of these seeds

FLOAT64_TOLERANCE = FLOAT64.tolerance  # elementwise relative error, scratchnet.gradcheck's
# float32 keeps about 7 digits: its gradients are compared with float64 finite differences
# of the same math (not float32 ones, as gradcheck's float32 precision must), relative to
# the largest entry, with a hundredfold margin.
FLOAT32_TOLERANCE = 1e-5


CATALOGUED, MEASURED, UNEXPLAINED = "catalogued", "measured", "unexplained"


@dataclass(frozen=True)
class Hint:
    """Why a check failed. kind: CATALOGUED, a mistake named by a model of it or a direct
    test (a shape, a dtype, None); MEASURED, a pattern of the difference from the right
    tensor, measured by probes; UNEXPLAINED, neither, the values shown. where: the case
    it was found on, "float64, shape (8, 1), seed 0", or ""."""

    text: str
    kind: str = CATALOGUED
    where: str = ""


@dataclass(frozen=True)
class Check:
    """One line of a grading: what was checked, whether it held, and if not, why."""

    description: str
    passed: bool
    hint: str = ""
    kind: str = ""
    where: str = ""


def passed(description: str) -> Check:
    return Check(description, True)


def failed(description: str, hint: str | Hint) -> Check:
    if isinstance(hint, str):
        hint = Hint(hint)
    return Check(description, False, hint.text, hint.kind, hint.where)


def no_class(name: str) -> Check:
    """The check a file fails when it does not define the class ``name``."""
    return failed(f"the file defines class {name}", f"no class {name} found: keep the starter's")


def class_in(answer, name: str) -> type | None:
    """The learner's class ``name`` from their module ``answer``, or None."""
    found = getattr(answer, name, None)
    return found if isinstance(found, type) else None


class LearnerError(Exception):
    """An exception raised inside the learner's code, told as ``describe_error`` tells it."""

    def __init__(self, error: BaseException):
        super().__init__(describe_error(error))


def run(function, *args, **kwargs):
    """Call the learner's code. NumPy's warnings are silenced (a NaN it makes is reported
    by the comparison instead), an exception becomes a ``LearnerError``, and inside
    ``time_limit`` the call runs on the clock."""
    with _on_the_clock(function):
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return function(*args, **kwargs)
        except Exception as error:
            raise LearnerError(error) from error


class TimeLimitExceeded(Exception):
    """The learner's code ran out of time: the sentence that names the call."""


class _OutOfTime(BaseException):
    """Raised by SIGALRM's handler in the learner's code: a BaseException, so that their
    own ``except Exception`` cannot swallow it."""


@dataclass
class _Clock:
    limit: float | None = None  # seconds for all the learner's calls; None: no limit
    left: float = 0.0
    running: bool = False  # inside a call of run, whose clock is set


_CLOCK = _Clock()


@contextmanager
def time_limit(seconds: float):
    """Every call of ``run`` inside this block shares ``seconds``: the learner's code may
    run that long in all (the grader's own work is not counted).

    The clock is SIGALRM's. Where Python has none (Windows), or off the main thread,
    there is no limit: a check runs until its code returns, and Ctrl-C stops it."""
    on_the_main_thread = threading.current_thread() is threading.main_thread()
    if not hasattr(signal, "setitimer") or not on_the_main_thread:
        yield
        return
    previous = signal.signal(signal.SIGALRM, _alarm)
    _CLOCK.limit, _CLOCK.left = seconds, seconds
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        _CLOCK.limit = None


def _alarm(signum, frame):
    if _CLOCK.running:
        raise _OutOfTime


@contextmanager
def _on_the_clock(function):
    if _CLOCK.limit is None or _CLOCK.running:
        yield
        return
    _CLOCK.running = True
    signal.setitimer(signal.ITIMER_REAL, max(_CLOCK.left, 1e-3))
    try:
        yield
    except _OutOfTime as stopped:
        raise TimeLimitExceeded(_did_not_finish(function, stopped)) from None
    finally:
        _CLOCK.running = False
        _CLOCK.left, _ = signal.setitimer(signal.ITIMER_REAL, 0)


def _did_not_finish(function, stopped: _OutOfTime) -> str:
    """One sentence: the learner's call that was running (the outermost of their frames)
    and the line it was at (the innermost)."""
    tb = stopped.__traceback__
    codes = [frame.f_code for frame, _ in traceback.walk_tb(tb)]
    codes = [code for code in codes if not _is_ours(code.co_filename)]
    lines = [frame for frame in traceback.extract_tb(tb) if not _is_ours(frame.filename)]
    call, where = getattr(function, "__qualname__", "your code"), ""
    if codes:
        call = codes[0].co_qualname
        if call == "<module>":
            call = f"the import of {_shown_path(codes[0].co_filename)}"
        last = lines[-1]
        where = f" at {_shown_path(last.filename)}:{last.lineno}"
        where += f" ({last.line.strip()})" if last.line else ""
    return (
        f"{call} did not finish: your code's {_CLOCK.limit:g} s for this exercise ran out"
        f"{where}; look for a loop that never ends, or allow more with --timeout SECONDS"
    )


def describe_error(error: BaseException) -> str:
    """The type and message, then "at linear.py:42: the line": the last place in the
    traceback that is the learner's, not scratchnet's, NumPy's or Python's."""
    where = _learners_frame(error)
    text = f"{type(error).__name__}: {error}"
    if isinstance(error, SyntaxError):
        text = f"SyntaxError: {error.msg}"
    if where is None:
        return text
    filename, line_number, line = where
    shown = f"at {_shown_path(filename)}:{line_number}"
    return f"{text}\n{shown}" + (f": {line.strip()}" if line else "")


def _shown_path(filename: str) -> str:
    """The file as the learner would type it: relative to where they are, if it is below."""
    path = Path(filename)
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return filename


def _learners_frame(error: BaseException) -> tuple[str, int, str] | None:
    if isinstance(error, SyntaxError) and error.filename:
        return error.filename, error.lineno or 0, error.text or ""
    frames = traceback.extract_tb(error.__traceback__)
    theirs = [frame for frame in frames if not _is_ours(frame.filename)]
    if not theirs:
        return None
    frame = theirs[-1]
    return frame.filename, frame.lineno or 0, frame.line or ""


def _is_ours(filename: str) -> bool:
    if filename.startswith("<"):  # "<frozen importlib._bootstrap>": Python's own
        return True
    path = Path(filename).resolve()
    if path.is_relative_to(_STARTERS):  # a starter checked where it lies, as the tests do
        return False
    return any(path.is_relative_to(folder) for folder in _NOT_THE_LEARNERS)


@dataclass(frozen=True)
class Mistake:
    """A catalogued mistake: what it makes a tensor be on the case at hand, and its hint.

    ``model(case)`` returns that tensor (any shape: a forgotten sum has the shape of one
    row per example), or None where the case cannot show this mistake.
    """

    hint: str
    model: Callable[[object], np.ndarray | None]


def same(got: np.ndarray, model) -> bool:
    """Whether ``got`` equals ``model``'s array, shape included, to float32's precision;
    NaN and infinity where the model has them (a mistake can divide by zero)."""
    if model is None:
        return False
    model = np.asarray(model, dtype=np.float64)
    if got.shape != model.shape or not np.array_equal(np.isnan(got), np.isnan(model)):
        return False
    finite = np.isfinite(model)
    if not np.array_equal(got[~finite & ~np.isnan(model)], model[~finite & ~np.isnan(model)]):
        return False
    scale = float(np.max(np.abs(model[finite]), initial=0.0))
    return bool(np.allclose(got[finite], model[finite], rtol=1e-5, atol=1e-12 * scale))


def generic_mistakes(tensor: str) -> list[Mistake]:
    """Mistakes any tensor can have: its sign, a factor of 2. Their models read the
    expected value from ``case.expected``."""
    return [
        Mistake(
            f"the {tensor} has the right size but the wrong sign: check each minus sign "
            "of the derivation, and which way the update goes",
            lambda case: -case.expected,
        ),
        Mistake(
            f"the {tensor} is twice what it should be: a factor 2 too many",
            lambda case: 2 * case.expected,
        ),
        Mistake(
            f"the {tensor} is half what it should be: a factor 2 is missing",
            lambda case: case.expected / 2,
        ),
    ]


def diagnose(tensor: str, got, case, mistakes: list[Mistake]) -> Hint | None:
    """The hint for ``got``, the learner's ``tensor`` on ``case``, or None when it is right.

    ``case.expected`` is the right value and ``case.tolerance`` how close ``got`` must be.
    Wrong in any way, ``got`` is compared with each mistake's model in turn; matching
    none, its difference from the right value is measured (``patterns.describe``, with
    what ``case.pattern_context()`` says the learner can see).
    """
    if got is None:
        return Hint(f"the {tensor} is None: backward must return it (or store it) as an array")
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return Hint(f"the {tensor} is a {type(got).__name__}, not an array of numbers")
    expected = np.asarray(case.expected, dtype=np.float64)
    if got.shape == expected.shape and np.isfinite(got).all():
        if error_of(got, expected, case.dtype) <= case.tolerance:
            return None
    generic = generic_mistakes(tensor) if _varied(expected) else []
    for mistake in [*mistakes, *generic]:
        with np.errstate(all="ignore"):  # a mistake's model may divide by zero, as it did
            try:
                model = mistake.model(case)
            except ValueError:  # shapes this mistake cannot take (W for W.T, W not square)
                continue
        if same(got, model):
            return Hint(mistake.hint)
    with np.errstate(all="ignore"):
        pattern = patterns.describe(tensor, got, expected, **case.pattern_context())
    if pattern is not None:
        return Hint(pattern, MEASURED)
    if got.shape != expected.shape:
        return Hint(f"the {tensor} has shape {got.shape}; it must have shape {expected.shape}")
    if not np.isfinite(got).all():
        return Hint(
            f"the {tensor} holds NaN or infinity where the right value is finite: a division "
            "by zero, or a large number that overflowed?"
        )
    return unexplained(tensor, got, expected, case.dtype)


def _varied(expected: np.ndarray) -> bool:
    """Whether the right values vary enough for a constant factor to be told from a
    mistake that only looks like one here: 3 different sizes at least (at x = 0, p_t is
    1/2 everywhere, and a missing factor 1 - p_t looks like a factor 2)."""
    sizes = np.abs(expected[np.isfinite(expected) & (expected != 0)])
    return len(np.unique(np.round(sizes, 12))) >= 3


def unexplained(tensor: str, got: np.ndarray, expected: np.ndarray, dtype) -> Hint:
    """The worst entry and its right value, where no mistake and no pattern explains it."""
    error = error_of(got, expected, dtype)
    worst = np.unravel_index(np.argmax(relative_error(got, expected)), got.shape)
    why = TOO_FEW if got.size < patterns.MIN_ENTRIES else NO_PATTERN
    return Hint(
        f"the {tensor} is wrong (relative error {error:.1e}; at index "
        f"{tuple(map(int, worst))} it is {got[worst]:.6g}, expected {expected[worst]:.6g})"
        f"{why}",
        UNEXPLAINED,
    )


NO_PATTERN = ", in no pattern the probes recognise: redo its derivation step by step"
TOO_FEW = ", in too few entries for the probes to measure a pattern"


def with_probe(hint: Hint, measured: str) -> Hint:
    """``hint``, an uncatalogued one, with what a further probe measured."""
    text = hint.text.removesuffix(NO_PATTERN).removesuffix(TOO_FEW)
    return Hint(f"{text}. {measured}", MEASURED, hint.where)


def error_of(got: np.ndarray, expected: np.ndarray, dtype) -> float:
    """float64: the worst elementwise relative error. float32: the worst difference
    relative to the largest expected entry, since rounding dominates the small ones."""
    if np.dtype(dtype) == np.float64:
        return float(np.max(relative_error(got, expected), initial=0.0))
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1e-30)
    return float(np.max(np.abs(got - expected), initial=0.0)) / scale


def tolerance_of(dtype) -> float:
    return FLOAT64_TOLERANCE if np.dtype(dtype) == np.float64 else FLOAT32_TOLERANCE


def finite_differences(function, x: np.ndarray, upstream) -> np.ndarray:
    """dL/dx by central differences in float64 of ``function`` (the learner's forward)."""
    return run(numerical_vjp, function, x, upstream)


def require_dtype(tensor: str, got, dtype) -> Hint | None:
    """A hint when a gradient computed in float32 came back in another dtype."""
    found = getattr(got, "dtype", None)
    if found is not None and found != np.dtype(dtype):
        return Hint(
            f"the {tensor} is {found} for {np.dtype(dtype)} input: keep the input's dtype "
            "(a NumPy array made without dtype=, np.ones(n) say, is float64)"
        )
    return None


def copies(arrays: dict) -> dict:
    """A copy of each array, so that a later call cannot change what was recorded."""
    return {
        name: None if array is None else np.array(array, copy=True)
        for name, array in arrays.items()
    }
