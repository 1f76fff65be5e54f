"""``python -m scratchnet.exercises [list | start NAME | check NAME] [--dir DIR]``.

Exit status: 0 when the command did what it was asked (``check``: every check passed),
1 when a check failed or the learner's code ran out of time (``--timeout``, 10 s by
default, for all of one exercise's checks), 2 for a usage error (an unknown exercise, a
missing file, a ``start`` that would overwrite a file), told in one sentence; 130 after
Ctrl-C, told in one line, with nothing stored; 141, quietly, when the reader closes
the pipe early (``list | head -1``).

The learner's files are imported from DIR under their own names (``linear``, ...), so
that ``network.py`` can import the learner's ``linear.py`` as ``from linear import
Linear``. Each check's result is stored in DIR/.results.json, so that ``list`` shows it
without grading anything again.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import re
import sys
import textwrap
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path

from scratchnet.exercises.catalogue import BY_NAME, EXERCISES, Exercise
from scratchnet.exercises.grading import (
    CATALOGUED,
    MEASURED,
    UNEXPLAINED,
    Check,
    LearnerError,
    TimeLimitExceeded,
    run,
    time_limit,
)

DEFAULT_DIR = Path("scratchnet-exercises")
RESULTS = ".results.json"
PROG = "python -m scratchnet.exercises"
DEFAULT_TIMEOUT = 10.0  # seconds for all the learner's code in one exercise's checks
INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C
PIPE_CLOSED = 141  # 128 + SIGPIPE, as a shell reports `yes | head -1`'s yes


class UsageError(Exception):
    """A command that cannot be carried out as asked: exit status 2 and this sentence."""


def main(argv=None) -> int:
    try:
        status = _main(argv)
        sys.stdout.flush()  # here, where a closed pipe is caught, not at exit
        return status
    except KeyboardInterrupt:
        print(f"{PROG}: stopped by Ctrl-C; no result stored", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        # The reader has gone (`list | head -1`): nothing more to say, and nowhere to say
        # it. Python's own flush at exit goes to devnull rather than raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return PIPE_CLOSED


def _main(argv) -> int:
    args = _parser().parse_args(argv)
    folder = getattr(args, "dir", DEFAULT_DIR)
    try:
        if args.command == "start":
            return start(_exercise(args.name), folder)
        if args.command == "check":
            return check(_exercise(args.name), folder, args.timeout)
        return show_list(folder)
    except UsageError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2


class _OneLineErrors(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{PROG}: error: {message}\n")


def _parser() -> argparse.ArgumentParser:
    # --dir before or after the command: SUPPRESS keeps a command's parser from resetting
    # to the default a --dir given before it.
    folder = argparse.ArgumentParser(add_help=False)
    folder.add_argument(
        "--dir",
        type=Path,
        default=argparse.SUPPRESS,
        help=f"the folder of your exercise files (default ./{DEFAULT_DIR})",
    )
    parser = _OneLineErrors(
        prog=PROG,
        description="Exercises: write each backward pass yourself; scratchnet grades it.",
        parents=[folder],
    )
    commands = parser.add_subparsers(dest="command", parser_class=_OneLineErrors)
    commands.add_parser("list", parents=[folder], help="the exercises, in order, and your results")
    start = commands.add_parser("start", parents=[folder], help="write the starter file NAME.py")
    check = commands.add_parser("check", parents=[folder], help="grade NAME.py")
    for sub in (start, check):
        sub.add_argument("name", help="the exercise, such as relu")
    check.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"how long your code may run in all of the checks (default {DEFAULT_TIMEOUT:g}); "
        "where Python has no SIGALRM, as on Windows, there is no limit: stop it with Ctrl-C",
    )
    return parser


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not seconds > 0 or seconds == float("inf"):
        raise argparse.ArgumentTypeError(f"a number of seconds above 0, not {text!r}")
    return seconds


def _exercise(name: str) -> Exercise:
    if name not in BY_NAME:
        raise UsageError(f"there is no exercise {name!r}; the exercises are {', '.join(BY_NAME)}")
    return BY_NAME[name]


def _command(verb: str, exercise: Exercise, folder: Path) -> str:
    where = "" if folder == DEFAULT_DIR else f" --dir {folder}"
    return f"{PROG} {verb} {exercise.name}{where}"


# --- start --------------------------------------------------------------------------------


def start(exercise: Exercise, folder: Path) -> int:
    path = folder / f"{exercise.name}.py"
    if path.exists():
        raise UsageError(
            f"{path} exists already, and start never overwrites a file: check it with "
            f"`{_command('check', exercise, folder)}`, or move it away to start afresh"
        )
    folder.mkdir(parents=True, exist_ok=True)
    starter = files("scratchnet.exercises.starters").joinpath(f"{exercise.name}.py")
    path.write_text(starter.read_text(encoding="utf-8"), encoding="utf-8")
    print(f"wrote {path}: write {exercise.writes} in it ({exercise.teaches}).")
    section = f'section "{exercise.tour}", {exercise.tour_part}'
    print(f"First read the derivation in docs/tour.md, {section}.")
    missing = [name for name in exercise.needs if not (folder / f"{name}.py").exists()]
    if exercise.needs:
        print(f"It imports your own {', '.join(exercise.needs)} from the same folder.")
    if missing:
        print(f"Not there yet: {', '.join(name + '.py' for name in missing)}.")
    print(f"Then check it: {_command('check', exercise, folder)}")
    return 0


# --- check --------------------------------------------------------------------------------


def check(exercise: Exercise, folder: Path, timeout: float = DEFAULT_TIMEOUT) -> int:
    missing = [
        folder / f"{name}.py"
        for name in (exercise.name, *exercise.needs)
        if not (folder / f"{name}.py").exists()
    ]
    if missing:
        files_named = "no file" if len(missing) == 1 else "no files"
        first = "it" if len(missing) == 1 else "each, the first"
        raise UsageError(
            f"{files_named} {', '.join(map(str, missing))}: start {first} with "
            f"`{_command('start', BY_NAME[missing[0].stem], folder)}`"
        )
    print(f"checking {exercise.name}: {exercise.writes}, in {folder / (exercise.name + '.py')}")
    passed_count, failed_count, error = 0, 0, None
    hints: dict[str, list[Check]] = {}  # the failed checks of each hint, in order
    with learner_files(folder) as load, time_limit(timeout):
        try:
            for result in exercise.grade(load):
                if result.passed:
                    passed_count += 1
                    print(f"  PASS  {result.description}")
                    continue
                failed_count += 1
                same_hint = hints.setdefault(_hint_key(result), [])
                same_hint.append(result)
                number = list(hints).index(_hint_key(result)) + 1
                print(f"  FAIL  {result.description} (hint {number})")
        except LearnerError as raised:
            error = str(raised)
            print(f"  ERROR your code raised an exception:\n{_indented(error)}")
        except TimeLimitExceeded as stopped:
            _print_hints(hints)
            _store(folder, exercise, False, passed_count, failed_count, "timed_out")
            print(f"{exercise.name}: {stopped}")
            return 1
    _print_hints(hints)
    all_passed = failed_count == 0 and error is None
    stopped = "stopped_at_an_error" if error is not None else None
    _store(folder, exercise, all_passed, passed_count, failed_count, stopped)
    verdict = _verdict(exercise, folder, all_passed, passed_count, failed_count, error, hints)
    print(textwrap.fill(verdict, 92, subsequent_indent="  "))
    return 0 if all_passed else 1


def _hint_key(check: Check) -> str:
    """Failed checks with the same key share a hint: the same text, but for measured
    numbers (float32's last digits, the worst entry and its values)."""
    text = re.sub(r" \(relative error .*?expected [^)]*\)", "", check.hint)
    return re.sub(r"-?\d+\.\d+(e[-+]?\d+)?|-?\d+e[-+]?\d+", "#", text)


def _print_hints(hints: dict[str, list[Check]]) -> None:
    """Each hint once, after the checks: for how many it holds, the first case it was
    found on, and its text as first found."""
    for number, checks in enumerate(hints.values(), start=1):
        first = checks[0]
        count = "1 check" if len(checks) == 1 else f"{len(checks)} checks"
        where = f"; first found on {first.where}" if first.where else ""
        print(f"  hint {number}, {KINDS[first.kind][0]}, for {count}{where}:")
        print(_indented(first.hint))


def _indented(text: str) -> str:
    """Each line of ``text`` wrapped to 92 columns, indented under its check."""
    return "\n".join(
        textwrap.fill(line, 92, initial_indent=" " * 8, subsequent_indent=" " * 10)
        for line in text.splitlines()
    )


# Each kind of hint: its name beside the hint, and what one hint, or several, of it are.
KINDS = {
    CATALOGUED: ("catalogued", "names a catalogued mistake", "name catalogued mistakes"),
    MEASURED: (
        "measured",
        "is a pattern measured by probes: how your values differ from the right ones, not why",
        "are patterns measured by probes: how your values differ from the right ones, not why",
    ),
    UNEXPLAINED: (
        "no pattern",
        "fits no catalogued mistake and no measured pattern: it shows the worst entry",
        "fit no catalogued mistake and no measured pattern: they show the worst entry",
    ),
}


def _what_the_hints_are(hints: dict[str, list[Check]]) -> str:
    """ "Hints 1 and 3 name catalogued mistakes; hint 2 is a pattern measured by ..."."""
    by_kind: dict[str, list[int]] = {}
    for number, checks in enumerate(hints.values(), start=1):
        by_kind.setdefault(checks[0].kind, []).append(number)
    parts = []
    for kind, numbers in by_kind.items():
        _, one, several = KINDS[kind]
        if len(numbers) == 1:
            parts.append(f"hint {numbers[0]} {one}")
        else:
            shown = ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}"
            parts.append(f"hints {shown} {several}")
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def _verdict(exercise, folder, all_passed, passed_count, failed_count, error, hints) -> str:
    if all_passed:
        following = EXERCISES[EXERCISES.index(exercise) + 1 :]
        after = f" Next: `{_next_command(following[0], folder)}`." if following else ""
        return f"{exercise.name}: all {passed_count} checks passed.{after}"
    if error is not None:
        return (
            f"{exercise.name}: stopped at an error in your code, after {passed_count} checks "
            f"passed and {failed_count} failed; fix it and check again."
        )
    return (
        f"{exercise.name}: {failed_count} of {passed_count + failed_count} checks failed. "
        f"{_what_the_hints_are(hints)} Fix it and check again."
    )


@contextmanager
def learner_files(folder: Path):
    """A ``load(name)`` that imports the learner's ``folder/name.py``, fresh, under its
    own name, so that their files can import each other. No bytecode is written beside
    them (a file edited within the same second could otherwise be read stale), and
    ``sys.path`` and ``sys.modules`` are as before afterwards."""
    names = [exercise.name for exercise in EXERCISES]
    saved = {name: sys.modules.pop(name) for name in names if name in sys.modules}
    writes_bytecode = sys.dont_write_bytecode
    sys.dont_write_bytecode = True
    sys.path.insert(0, str(folder.resolve()))
    importlib.invalidate_caches()
    try:
        yield lambda name: run(importlib.import_module, name)
    finally:
        sys.path.remove(str(folder.resolve()))
        sys.dont_write_bytecode = writes_bytecode
        for name in names:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


# --- results and list ---------------------------------------------------------------------


def _fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _results(folder: Path) -> dict:
    try:
        return json.loads((folder / RESULTS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # none stored yet, or a file that is not ours to trust


def _store(folder: Path, exercise: Exercise, all_passed, passed_count, failed_count, stopped):
    """stopped: None, "stopped_at_an_error" or "timed_out". The file is replaced whole, so
    that Ctrl-C at any moment leaves the old results or the new, never half of them."""
    results = _results(folder)
    results[exercise.name] = {
        "passed": all_passed,
        "checks_passed": passed_count,
        "checks_failed": failed_count,
        "stopped_at_an_error": stopped == "stopped_at_an_error",
        "timed_out": stopped == "timed_out",
        "file_sha256": _fingerprint(folder / f"{exercise.name}.py"),
    }
    written = folder / f"{RESULTS}.new"
    written.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    os.replace(written, folder / RESULTS)


def status(folder: Path, exercise: Exercise) -> str:
    """ "not started", "not checked yet", "passed", "failed 2 of 9 checks", "stopped at an
    error in your code", "stopped: your code ran out of time", each with ", edited since"
    when the file changed after its check."""
    path = folder / f"{exercise.name}.py"
    if not path.exists():
        return "not started"
    result = _results(folder).get(exercise.name)
    if not isinstance(result, dict) or "passed" not in result:
        return "not checked yet"
    if result["passed"]:
        text = "passed"
    elif result.get("stopped_at_an_error"):
        text = "stopped at an error in your code"
    elif result.get("timed_out"):
        text = "stopped: your code ran out of time"
    else:
        total = result.get("checks_passed", 0) + result.get("checks_failed", 0)
        text = f"failed {result.get('checks_failed', '?')} of {total} checks"
    if result.get("file_sha256") != _fingerprint(path):
        text += ", edited since"
    return text


def show_list(folder: Path) -> int:
    print(f"scratchnet's exercises, in order; your files and results in {folder}/")
    width = max(len(exercise.name) for exercise in EXERCISES)
    for number, exercise in enumerate(EXERCISES, start=1):
        print(f"{number:>3}. {exercise.name:<{width}}  {status(folder, exercise)}")
        print(f"     {'':<{width}}  {exercise.writes}: {exercise.teaches}")
    first = next((e for e in EXERCISES if status(folder, e) != "passed"), None)
    print("Every exercise passed." if first is None else f"Next: {_next_command(first, folder)}")
    return 0


def _next_command(exercise: Exercise, folder: Path) -> str:
    """start for an exercise not started yet, check for one that is."""
    verb = "check" if (folder / f"{exercise.name}.py").exists() else "start"
    return _command(verb, exercise, folder)
