"""The package's shape: the lesson apart from the article's experiment, no import cycle, and the
front door, `python -m scratchnet`."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

import scratchnet as sn

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "scratchnet"
LESSON = sorted(path for path in PACKAGE.glob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def scratchnet_imports(path: Path, as_a_script: bool = True) -> list[tuple[str, bool]]:
    """(imported scratchnet module, whether the import sits inside a function) pairs.

    ``as_a_script=False`` leaves out what ``if __name__ == "__main__":`` imports: that runs
    only when the file is run as a script, once it has loaded, so it makes no import cycle.
    """
    tree = ast.parse(path.read_text())
    inside_functions = {
        id(node)
        for function in ast.walk(tree)
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))
        for node in ast.walk(function)
    }
    script_only = {
        id(node)
        for guard in tree.body
        if isinstance(guard, ast.If) and ast.unparse(guard.test) == "__name__ == '__main__'"
        for node in ast.walk(guard)
    }
    found = []
    for node in ast.walk(tree):
        if not as_a_script and id(node) in script_only:
            continue
        names = []
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            if (
                name.startswith("scratchnet")
                and (ROOT / Path(*name.split("."))).with_suffix(".py").exists()
            ):
                found.append((name, id(node) in inside_functions))
    return found


@pytest.mark.parametrize("path", LESSON, ids=lambda path: path.name)
def test_the_lesson_never_imports_the_article_nor_imports_inside_a_function(path):
    for name, inside_function in scratchnet_imports(path):
        assert not name.startswith("scratchnet.article"), f"{path.name} imports {name}"
        assert not inside_function, f"{path.name} imports {name} inside a function"
    for name, _ in scratchnet_imports(path, as_a_script=False):  # a command only to run it
        assert not name.startswith("scratchnet.commands"), f"{path.name} imports {name}"


def test_the_package_has_no_import_cycle():
    graph = {
        module_name(path): {name for name, _ in scratchnet_imports(path, as_a_script=False)}
        - {module_name(path)}
        for path in PACKAGE.rglob("*.py")
    }
    visiting, done = [], set()

    def visit(module):
        if module in done:
            return
        assert module not in visiting, "import cycle: " + " -> ".join([*visiting, module])
        visiting.append(module)
        for imported in graph.get(module, ()):
            visit(imported)
        visiting.pop()
        done.add(module)

    for module in graph:
        visit(module)


def test_importing_the_lesson_loads_neither_the_article_nor_scikit_learn():
    code = (
        "import sys, scratchnet, scratchnet.layers, scratchnet.losses, scratchnet.optimizers, "
        "scratchnet.gradcheck, scratchnet.training, scratchnet.serialization\n"
        "loaded = [m for m in sys.modules if m.startswith(('scratchnet.article', 'sklearn'))]\n"
        "print(loaded)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_no_two_modules_share_a_name():
    modules = [
        path
        for path in [*ROOT.glob("*.py"), *PACKAGE.rglob("*.py"), *ROOT.glob("benchmarks/*.py")]
        if path.name not in ("__init__.py", "__main__.py")  # names Python requires
    ]
    names = [path.stem for path in modules]
    assert len(names) == len(set(names)), sorted(name for name in names if names.count(name) > 1)


def test_every_name_scratchnet_exports_resolves():
    import scratchnet as sn

    for name in sn.__all__:
        assert getattr(sn, name) is not None, name
    assert {"load_article_data", "gradcheck", "MLPClassifier", "train"} <= set(sn.__all__)


# --- The package's front door ---------------------------------------------------------------------


def test_the_package_has_a_version_and_says_where_to_start():
    assert re.fullmatch(r"\d+\.\d+\.\d+", sn.__version__)
    result = subprocess.run(
        [sys.executable, "-m", "scratchnet"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith(f"scratchnet {sn.__version__}: ")
    assert "scratchnet/layers.py" in result.stdout and "python demo.py" in result.stdout
# --- rooms and doors ------------------------------------------------------------------------
# The rooms are the files of the README's "Where to start reading" table and the scratchnet
# modules they import, the doors (scratchnet/doors/) apart: a room holds the math and calls a
# door for every check, message and warning.

ROOM_LINES = 1_400  # every room together, derivations included


def rooms() -> list[Path]:
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Where to start reading", 1)[1].split("\n## ", 1)[0]
    found = [PACKAGE / name for name in re.findall(r"^\| \[`(\w+\.py)`\]", table, re.M)]
    assert len(found) >= 6, "the reading table lists the lesson's files"
    for path in found:  # the modules they import, found by following imports
        for name, _ in scratchnet_imports(path, as_a_script=False):
            module = (ROOT / Path(*name.split("."))).with_suffix(".py")
            if module.exists() and "doors" not in module.parts and module not in found:
                found.append(module)
    return found


@pytest.mark.parametrize("path", rooms(), ids=lambda path: path.name)
def test_a_room_raises_only_not_implemented_and_warns_nothing(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise):
            raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            assert getattr(raised, "id", None) == "NotImplementedError", (
                f"{path.name}, line {node.lineno}: a raise belongs in a door"
            )
        names = {alias.name for alias in getattr(node, "names", [])}
        assert "warnings" not in names and getattr(node, "module", "") != "warnings", (
            f"{path.name}, line {node.lineno}: a warning belongs in a door"
        )


def test_the_rooms_fit_their_line_budget_in_lines_of_at_most_100_characters():
    lines = {path.name: path.read_text().splitlines() for path in rooms()}
    for name, text in lines.items():
        long = [number for number, line in enumerate(text, 1) if len(line) > 100]
        assert not long, f"{name}: lines {long} are longer than 100 characters"
    total = sum(map(len, lines.values()))
    assert total <= ROOM_LINES, {name: len(text) for name, text in lines.items()}
