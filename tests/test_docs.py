"""The documentation cannot go stale: its code runs, its links resolve, its numbers are current.

Every ```python block of a page runs, in order, in one fresh interpreter, the way a reader
pastes them one after another. Blocks that are not meant to run use another fence
language (```bash, ```text).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import demo
from scratchnet.article.data import load_article_data
from scratchnet.article.experiment import compare_losses

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PAGES = [README, ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").rglob("*.md"))]
# Pages that teach with code: each must keep at least one block that runs.
PAGES_WITH_CODE = [README, ROOT / "docs/tour.md", ROOT / "docs/errors-and-saving.md"]

FENCE = re.compile(r"^```(\S*)\s*$")


def fenced_blocks(page: Path) -> list[tuple[str, int, str]]:
    """(language, line number of the opening fence, code) of every fenced block in order."""
    blocks, language, start, lines = [], None, 0, []
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        match = FENCE.match(line)
        if language is None and match:
            language, start, lines = match.group(1), number, []
        elif language is not None and line.rstrip() == "```":
            blocks.append((language, start, "\n".join(lines) + "\n"))
            language = None
        elif language is not None:
            lines.append(line)
    assert language is None, f"{page.name}: the block opened at line {start} is never closed"
    return blocks


def python_blocks(page: Path) -> list[tuple[int, str]]:
    return [(start, code) for language, start, code in fenced_blocks(page) if language == "python"]


def page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


@pytest.mark.parametrize("page", PAGES_WITH_CODE, ids=page_id)
def test_page_that_teaches_with_code_has_python_blocks(page):
    assert python_blocks(page), f"{page_id(page)} has no ```python block, so nothing is run"


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_no_python_block_hides_under_another_fence_language(page):
    # ```py or ```Python would render as Python yet escape test_python_blocks_run_in_order.
    for language, start, _ in fenced_blocks(page):
        looks_like_python = language.lower().startswith("py") or language.lower() == "ipython"
        assert language == "python" or not looks_like_python, (
            f"{page_id(page)} line {start}: fence ```{language}; use ```python so it is run"
        )


@pytest.mark.parametrize("page", [page for page in PAGES if python_blocks(page)], ids=page_id)
def test_python_blocks_run_in_order_in_a_fresh_interpreter(page, tmp_path):
    script = "".join(
        f"# --- {page_id(page)}, the block at line {start} ---\n{code}"
        for start, code in python_blocks(page)
    )
    (tmp_path / "blocks.py").write_text(script, encoding="utf-8")
    # PYTHONPATH: this checkout's scratchnet, whether or not it is the one installed.
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-W", "error", "blocks.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        pytest.fail(
            f"the ```python blocks of {page_id(page)} failed when run in order "
            f"(exit status {result.returncode}):\n{result.stderr}",
            pytrace=False,
        )


# Feeds a page's blocks to Python's interactive console line by line, as a paste would,
# pressing Enter after each block; any traceback, or a block left open, fails the page.
CONSOLE = """
import code, sys
from pathlib import Path

class Console(code.InteractiveConsole):
    failed = False
    def showtraceback(self):
        Console.failed = True
        super().showtraceback()
    def showsyntaxerror(self, filename=None, **kwargs):
        Console.failed = True
        super().showsyntaxerror(filename)

console = Console()
for block in Path(sys.argv[1]).read_text(encoding="utf-8").split("\\0"):
    for line in [*block.splitlines(), ""]:
        console.push(line)
    if console.buffer:
        sys.exit("a block was left open: " + block.splitlines()[0])
sys.exit(1 if Console.failed else 0)
"""


@pytest.mark.parametrize("page", [ROOT / "docs/tour.md"], ids=page_id)
def test_python_blocks_paste_into_the_interactive_prompt(page, tmp_path):
    blocks = "\0".join(code for _, code in python_blocks(page))
    (tmp_path / "blocks.txt").write_text(blocks, encoding="utf-8")
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", CONSOLE, "blocks.txt"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"{page_id(page)} does not paste cleanly:\n{result.stderr}"


LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def prose(page: Path) -> str:
    """The page without its fenced blocks, where # starts a comment, not a heading."""
    text = page.read_text(encoding="utf-8")
    return re.sub(r"^```.*?^```", "", text, flags=re.DOTALL | re.MULTILINE)


def anchors(page: Path) -> set[str]:
    """GitHub's anchor of each heading: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+ (.+)$", prose(page), flags=re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_relative_links_and_images_point_at_files_and_headings_that_exist(page):
    for target in LINK.findall(prose(page)):
        if re.match(r"[a-z]+:", target):
            continue  # a web address
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), f"{page_id(page)} links to {target}, which does not exist"
        if anchor:
            assert anchor in anchors(linked), f"{page_id(page)} links to {target}: no such heading"


def test_readme_is_short_and_keeps_its_quickstart_reading_table_and_changelog_link():
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 200, "README.md is over 200 lines: move detail to docs/"
    quickstart = text.split("## Quickstart\n", 1)[1].split("\n## ", 1)[0]
    (commands,) = [code for language, _, code in fenced_blocks(README) if code in quickstart]
    assert len(commands.splitlines()) == 2  # install and demo; install and tests
    assert "\n## Where to start reading\n" in text
    assert "](CHANGELOG.md)" in text


def test_readme_shows_what_the_demo_prints():
    outputs = [
        code
        for language, _, code in fenced_blocks(README)
        if language == "text" and code.startswith("scratchnet: BCE vs focal loss")
    ]
    assert len(outputs) == 1, "README.md should show demo.py's output once, in a ```text block"
    data = load_article_data()
    report = demo.format_report(compare_losses(data, seed=0), data, demo.parse_args([]))
    shown = outputs[0].split("\n\nfigures:")[0].rstrip("\n")
    assert shown == report, "README.md's demo output differs from what demo.py prints now"


def test_study_page_holds_the_tables_study_py_wrote():
    # docs/study.md discusses the tables, so it carries a copy; this keeps the copy current.
    summary = (ROOT / "docs/study/summary.md").read_text(encoding="utf-8")
    page = (ROOT / "docs/study.md").read_text(encoding="utf-8")
    tables = re.findall(r"(?:^\|.*\n)+", summary, flags=re.MULTILINE)
    assert len(tables) == 2
    missing = [row for table in tables if table not in page for row in table.splitlines()]
    stale = [row for row in missing if row not in page.splitlines()]
    assert not missing, f"docs/study.md's tables differ from docs/study/summary.md: {stale}"
