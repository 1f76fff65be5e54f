"""Mutation analysis of the lesson: would the tests notice a small change to the code?

Not part of the test suite and never run by CI: it takes minutes to an hour. It makes
one small change (a *mutant*) at a time to a lesson file, runs the tests that exercise
that file, and records whether they failed (the mutant is *killed*) or passed (it
*survived*: either the change does not alter behaviour, or no test looks).

    python tools/mutation.py scratchnet/training.py                 # every mutant
    python tools/mutation.py scratchnet/layers.py --sample 80 --seed 15
    python tools/mutation.py scratchnet/losses.py --list            # list, run nothing
    python tools/mutation.py scratchnet/losses.py --only 12 40      # rerun two mutants
    python tools/mutation.py --summary /tmp/scratchnet-mutation.*.jsonl   # a table

The mutations: comparison operators (boundary and negation), ``and``/``or``, ``not``
removed, arithmetic operators, augmented assignments, numbers (0, 1, 2, other
constants), True/False, a return value replaced by None, a statement removed, min/max
(and np.minimum/np.maximum, any/all) swapped, a wrapping call (``float(x)``,
``x.copy()``, ``x.astype(...)``) removed. Docstrings, strings and annotations are left
alone. Default arguments are mutated as the numbers and booleans they are.

How it runs: the repository is copied to a scratch folder (``--work``), each mutant is
written into the copy, and forked children of this process run pytest there with
``-x -q -p no:cacheprovider`` on the test files listed for that lesson file in
``TESTS``, one file per child, until one fails (numpy and pytest are imported once,
before forking; scratchnet is imported by each child, from the copy). A child that runs
longer than ``--timeout`` seconds is killed and the mutant counted as killed (by
timeout). Results go to a JSON Lines file, one mutant a line.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import random
import shutil
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The test files that exercise each lesson file, fastest and most direct first (-x stops
# at the first failure, so a killed mutant usually costs one file).
TESTS = {
    "_blas.py": ["test_performance", "test_training"],
    "functional.py": ["test_layers", "test_losses", "test_properties", "test_gradcheck"],
    "layers.py": [
        "test_layers",
        "test_bad_input_battery",
        "test_own_layer",
        "test_training",
        "test_gradcheck",
        "test_properties",
        "test_init",
    ],
    "_module.py": [
        "test_layers",
        "test_own_layer",
        "test_bad_input_battery",
        "test_serialization",
        "test_training",
        "test_gradcheck",
    ],
    "losses.py": [
        "test_losses",
        "test_bad_input_battery",
        "test_training",
        "test_properties",
    ],
    "_loss.py": [
        "test_losses",
        "test_bad_input_battery",
        "test_gradcheck_fails_closed",
        "test_training",
    ],
    "optimizers.py": [
        "test_optimizers",
        "test_bad_input_battery",
        "test_training",
        "test_serialization",
    ],
    "training.py": [
        "test_training",
        "test_bad_input_battery",
        "test_losses",
        "test_init",
    ],
    "serialization.py": [
        "test_serialization",
        "test_own_layer",
        "test_bad_input_battery",
    ],
    "gradcheck.py": [
        "test_gradcheck",
        "test_gradcheck_fails_closed",
        "test_gradcheck_command",
        "test_own_layer",
        "test_bad_input_battery",
        "test_properties",
        "test_layers",
        "test_losses",
    ],
}

COMPARE_BOUNDARY = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt}
COMPARE_NEGATION = {
    ast.Lt: ast.GtE,
    ast.LtE: ast.Gt,
    ast.Gt: ast.LtE,
    ast.GtE: ast.Lt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}
ARITHMETIC = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.Pow: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Mod: ast.FloorDiv,
}
SWAPPED_NAMES = {"min": "max", "max": "min", "any": "all", "all": "any"}
SWAPPED_ATTRIBUTES = {
    "maximum": "minimum",
    "minimum": "maximum",
    "max": "min",
    "min": "max",
    "any": "all",
    "all": "any",
}
UNWRAPPED_FUNCTIONS = {"float", "int", "bool", "list", "tuple", "abs", "asarray", "array"}
UNWRAPPED_METHODS = {"copy", "astype", "reshape", "item"}


@dataclass
class Mutant:
    number: int
    line: int
    description: str
    source: str


def skipped_nodes(tree: ast.AST) -> set[int]:
    """ids of the nodes never mutated: docstrings, annotations, imports, decorators."""
    skipped = set()

    def skip(node):
        if node is not None:
            skipped.update(id(each) for each in ast.walk(node))

    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                skip(body[0])
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            skip(node.returns)
            for decorator in node.decorator_list:
                skip(decorator)
        if isinstance(node, ast.ClassDef):
            for decorator in node.decorator_list:
                skip(decorator)
        if isinstance(node, ast.arg):
            skip(node.annotation)
        if isinstance(node, ast.AnnAssign):
            skip(node.annotation)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            skip(node)
    return skipped


def parents_of(tree: ast.AST) -> dict[int, ast.AST]:
    return {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def changes(node: ast.AST):
    """(description, function that mutates a copy of ``node`` in place) for each mutant
    of this node, or (description, "remove") / (description, "return None")."""
    if isinstance(node, ast.Compare):
        for index, op in enumerate(node.ops):
            for table in (COMPARE_BOUNDARY, COMPARE_NEGATION):
                if type(op) in table:
                    new = table[type(op)]
                    yield (
                        f"{type(op).__name__} -> {new.__name__}",
                        lambda n, i=index, new=new: n.ops.__setitem__(i, new()),
                    )
    elif isinstance(node, ast.BoolOp):
        new = ast.Or if isinstance(node.op, ast.And) else ast.And
        yield (
            f"{type(node.op).__name__} -> {new.__name__}",
            lambda n, new=new: setattr(n, "op", new()),
        )
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield "not removed", "unwrap-operand"
    elif isinstance(node, (ast.BinOp, ast.AugAssign)) and type(node.op) in ARITHMETIC:
        new = ARITHMETIC[type(node.op)]
        yield (
            f"{type(node.op).__name__} -> {new.__name__}",
            lambda n, new=new: setattr(n, "op", new()),
        )
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float, bool):
        value = node.value
        if isinstance(value, bool):
            replacements = [not value]
        elif value == 0:
            replacements = [type(value)(1)]
        elif value == 1:
            replacements = [type(value)(0), type(value)(2)]
        elif value == 2:
            replacements = [type(value)(1), type(value)(3)]
        elif isinstance(value, int):
            replacements = [value + 1]
        else:
            replacements = [value * 10]
        for new in replacements:
            yield f"constant {value!r} -> {new!r}", lambda n, new=new: setattr(n, "value", new)
    elif isinstance(node, ast.Name) and node.id in SWAPPED_NAMES:
        new = SWAPPED_NAMES[node.id]
        yield f"{node.id} -> {new}", lambda n, new=new: setattr(n, "id", new)
    elif isinstance(node, ast.Attribute) and node.attr in SWAPPED_ATTRIBUTES:
        new = SWAPPED_ATTRIBUTES[node.attr]
        yield f".{node.attr} -> .{new}", lambda n, new=new: setattr(n, "attr", new)
    elif isinstance(node, ast.Call):
        function = node.func
        if (
            isinstance(function, (ast.Name, ast.Attribute))
            and getattr(function, "id", getattr(function, "attr", None)) in UNWRAPPED_FUNCTIONS
            and len(node.args) == 1
            and not isinstance(node.args[0], ast.Starred)
        ):
            yield f"call {ast.unparse(function)}(...) removed", "unwrap-argument"
        if isinstance(function, ast.Attribute) and function.attr in UNWRAPPED_METHODS:
            yield f"call .{function.attr}(...) removed", "unwrap-method"
    if isinstance(node, ast.Return) and node.value is not None:
        if not (isinstance(node.value, ast.Constant) and node.value.value is None):
            yield "return value -> None", "return-none"
    if isinstance(node, ast.stmt) and not isinstance(
        node,
        (
            ast.FunctionDef,
            ast.AsyncFunctionDef,
            ast.ClassDef,
            ast.Return,
            ast.Pass,
            ast.Import,
            ast.ImportFrom,
            ast.Global,
            ast.Nonlocal,
        ),
    ):
        yield f"statement {type(node).__name__} removed", "remove"


def splice(source: bytes, node: ast.AST, text: str, line_starts: list[int]) -> bytes:
    start = line_starts[node.lineno - 1] + node.col_offset
    end = line_starts[node.end_lineno - 1] + node.end_col_offset
    return source[:start] + text.encode() + source[end:]


def mutants_of(path: Path) -> list[Mutant]:
    text = path.read_text()
    source = text.encode()
    line_starts, position = [], 0
    for line in source.splitlines(keepends=True):
        line_starts.append(position)
        position += len(line)
    tree = ast.parse(text)
    skipped, parents = skipped_nodes(tree), parents_of(tree)
    seen, found = {source}, []
    for node in ast.walk(tree):
        if id(node) in skipped or not hasattr(node, "lineno"):
            continue
        for description, change in changes(node):
            if change == "remove":
                # "pass" keeps a block with one statement valid; the indentation is kept.
                new_source = splice(source, node, "pass", line_starts)
            elif change == "return-none":
                new_source = splice(source, node.value, "None", line_starts)
            else:
                target = node  # what is re-written: the node, or the f-string around it
                ancestor = parents.get(id(node))
                while ancestor is not None:
                    if isinstance(ancestor, ast.JoinedStr):
                        target = ancestor
                    ancestor = parents.get(id(ancestor))
                replacement = copy.deepcopy(target)
                # ast.walk visits a copy in the same order as its original.
                position = next(i for i, each in enumerate(ast.walk(target)) if each is node)
                mutated = next(
                    each for i, each in enumerate(ast.walk(replacement)) if i == position
                )
                if change == "unwrap-operand":
                    new_node = mutated.operand
                elif change == "unwrap-argument":
                    new_node = mutated.args[0]
                elif change == "unwrap-method":
                    new_node = mutated.func.value
                else:
                    change(mutated)
                    new_node = mutated
                if mutated is replacement:
                    replacement = new_node
                else:
                    _replace_child(replacement, mutated, new_node)
                new_source = splice(source, target, f"({ast.unparse(replacement)})", line_starts)
            try:
                compile(new_source, str(path), "exec")
            except SyntaxError:
                continue
            if new_source in seen:
                continue
            seen.add(new_source)
            found.append(Mutant(len(found), node.lineno, description, new_source.decode()))
    return found


def _replace_child(tree: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for node in ast.walk(tree):
        for field, value in ast.iter_fields(node):
            if value is old:
                setattr(node, field, new)
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    if item is old:
                        value[index] = new


def prepare_work_copy(work: Path) -> None:
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(
        ROOT,
        work,
        ignore=shutil.ignore_patterns(
            ".git", "__pycache__", "*.egg-info", ".hypothesis", "demo-output", "study-output", "out"
        ),
    )


def run_tests(work: Path, tests: list[str], timeout: float) -> tuple[str, float]:
    """'passed', 'failed' or 'timeout', and the seconds taken, for the tests of one mutant.

    Each test file runs in its own forked child, in order, until one fails: collecting
    only the file that kills a mutant is much cheaper than collecting all of them.
    """
    start = time.monotonic()
    for name in tests:
        status = run_test_file(work, name, start + timeout)
        if status != "passed":
            return status, time.monotonic() - start
    return "passed", time.monotonic() - start


def run_test_file(work: Path, name: str, deadline: float) -> str:
    child = os.fork()
    if child == 0:  # the child: run pytest in the work copy, import scratchnet from it
        try:
            sys.dont_write_bytecode = True
            os.chdir(work)
            sys.path.insert(0, str(work))
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            import pytest

            code = pytest.main([f"tests/{name}.py", "-x", "-q", "-p", "no:cacheprovider"])
            os._exit(int(code))
        except BaseException:
            os._exit(99)
    while True:
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            return "passed" if os.waitstatus_to_exitcode(status) == 0 else "failed"
        if time.monotonic() > deadline:
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
            return "timeout"
        time.sleep(0.02)


def summarize(paths: list[Path]) -> None:
    """Per file: mutants run, killed (of which by timeout), survived, and the survivors."""
    for path in paths:
        records = [json.loads(line) for line in path.read_text().splitlines() if line]
        latest = {record["number"]: record for record in records}  # a rerun replaces
        killed = [r for r in latest.values() if r["verdict"] == "killed"]
        timeouts = [r for r in killed if r["status"] == "timeout"]
        survived = sorted(
            (r for r in latest.values() if r["verdict"] == "survived"), key=lambda r: r["number"]
        )
        name = records[0]["file"] if records else path.name
        print(
            f"{name:18s} {len(latest):4d} run {len(killed):4d} killed "
            f"({len(timeouts)} by timeout) {len(survived):3d} survived"
        )
        for r in survived:
            print(f"    #{r['number']:<4d} line {r['line']:4d}  {r['description']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", help="a lesson file, e.g. scratchnet/training.py")
    parser.add_argument("--summary", type=Path, nargs="+", help="tabulate these results")
    parser.add_argument("--sample", type=int, help="run a seeded sample of this many mutants")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--only", type=int, nargs="+", help="run only these mutant numbers")
    parser.add_argument("--tests", nargs="*", help="test modules to run instead of TESTS")
    parser.add_argument(
        "--timeout", type=float, help="seconds per mutant (default: 3x baseline + 10)"
    )
    parser.add_argument("--work", type=Path, default=Path("/tmp/scratchnet-mutation"))
    parser.add_argument(
        "--out", type=Path, help="JSON Lines results (default: <work>.<file>.jsonl)"
    )
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--show", type=int, help="print the diff of one mutant and stop")
    args = parser.parse_args()
    if args.summary:
        summarize(args.summary)
        return

    path = (ROOT / args.file).resolve()
    mutants = mutants_of(path)
    if args.show is not None:
        import difflib

        original = path.read_text().splitlines(keepends=True)
        mutated = mutants[args.show].source.splitlines(keepends=True)
        sys.stdout.writelines(difflib.unified_diff(original, mutated, "original", "mutant"))
        return
    chosen = mutants
    if args.only:
        chosen = [mutants[number] for number in args.only]
    elif args.sample and args.sample < len(mutants):
        chosen = sorted(
            random.Random(args.seed).sample(mutants, args.sample), key=lambda m: m.number
        )
    if args.list:
        for mutant in chosen:
            print(f"{mutant.number:4d}  line {mutant.line:4d}  {mutant.description}")
        print(f"{len(chosen)} of {len(mutants)} mutants")
        return

    # Imported once here, so that each child starts faster. Not hypothesis: pytest would
    # warn that it cannot rewrite the asserts of its plugin, and warnings are errors here.
    import numpy  # noqa: F401
    import pytest  # noqa: F401

    tests = [
        name for name in args.tests or TESTS[path.name] if (ROOT / "tests" / f"{name}.py").exists()
    ]
    work = args.work
    prepare_work_copy(work)
    target = work / path.relative_to(ROOT)
    status, baseline = run_tests(work, tests, timeout=600)
    if status != "passed":
        sys.exit(f"the tests do not pass on the unmutated code ({status}): {tests}")
    timeout = args.timeout or 3 * baseline + 10
    print(
        f"{path.name}: {len(chosen)} of {len(mutants)} mutants; tests {tests}; "
        f"baseline {baseline:.1f} s, timeout {timeout:.0f} s",
        flush=True,
    )
    out = args.out or work.with_name(f"{work.name}.{path.stem}.jsonl")
    counts = {"killed": 0, "survived": 0}
    try:
        with out.open("a") as results:
            for mutant in chosen:
                target.write_text(mutant.source)
                status, seconds = run_tests(work, tests, timeout)
                verdict = "survived" if status == "passed" else "killed"
                counts[verdict] += 1
                record = {
                    "file": path.name,
                    "number": mutant.number,
                    "line": mutant.line,
                    "description": mutant.description,
                    "verdict": verdict,
                    "status": status,
                    "seconds": round(seconds, 2),
                }
                results.write(json.dumps(record) + "\n")
                results.flush()
                mark = "SURVIVED" if verdict == "survived" else status
                print(
                    f"{mutant.number:4d}  line {mutant.line:4d}  {mutant.description:40s} "
                    f"{mark} ({seconds:.1f} s)",
                    flush=True,
                )
    finally:
        target.write_text(path.read_text())
    total = counts["killed"] + counts["survived"]
    print(f"{path.name}: {counts['killed']} of {total} killed, {counts['survived']} survived")


if __name__ == "__main__":
    main()
