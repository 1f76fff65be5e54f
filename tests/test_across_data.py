"""The study across data: its data sets rebuilt from the published recipe, its runs the
same bit for bit wherever they run (one process, worker processes, a Dask cluster), its
choices made on training data only, and its files."""

import dataclasses
import math
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import study
from scratchnet.article.across_data import (
    CANDIDATES,
    RECIPES,
    Candidate,
    CellRuns,
    answer_of,
    paired_differences,
    read_grid_csv,
    run_grid,
    write_grid_csv,
)
from scratchnet.article.data import load_article_data
from scratchnet.article.grid_data import (
    ARTICLE_DATA,
    REAL_DATA,
    DataSetting,
    default_settings,
    grid_settings,
    make_data,
    synthetic,
)

ROOT = Path(__file__).resolve().parents[1]
# A small real data set (263 training points, 30 features, 6 test positives): a grid of
# 2 data seeds x 2 initialisations trains 20 networks for 100 epochs in about a second.
SMALL = (REAL_DATA[3],)
DATA_SEEDS, INIT_SEEDS = range(2), range(2)


@pytest.fixture(scope="module")
def runs():
    return run_grid(SMALL, DATA_SEEDS, INIT_SEEDS, jobs=1)


def test_every_grid_cell_expects_50_test_positives_from_6000_samples_at_least():
    cells = grid_settings()
    assert len(cells) == 16
    for cell in cells:
        assert cell.n_samples >= 6000
        assert 0.3 * cell.n_samples * cell.positive_share >= 50
        assert cell.flip_y == 0 and cell.is_grid_cell
    assert [cell.n_samples for cell in cells[::4]] == [6000, 6000, 16667, 33334]
    extreme = [cell for cell in default_settings(extreme=True) if cell.positive_share == 0.001]
    assert len(extreme) == 4 and extreme[0].n_samples == 166667
    assert not ARTICLE_DATA.is_grid_cell


def test_a_synthetic_data_set_is_rebuilt_from_the_published_random_states():
    setting, seed = synthetic(0.03, 1.0), 7
    X, y = make_classification(
        n_samples=6000, n_features=2, n_redundant=0, n_clusters_per_class=1,
        weights=[0.97], class_sep=1.0, flip_y=0.0, random_state=42 + seed,
    )  # fmt: skip
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=42 + seed
    )
    data = make_data(setting, seed)
    np.testing.assert_array_equal(data.X_train, X_train)
    np.testing.assert_array_equal(data.X_test, X_test)
    np.testing.assert_array_equal(data.y_train.ravel(), y_train)
    np.testing.assert_array_equal(data.y_test.ravel(), y_test)
    assert data.positive_share == pytest.approx(0.03, abs=0.001)
    assert data.y_test.sum() == 54 and data.y_train.sum() == 126  # stratified


def test_a_real_data_set_is_rebuilt_from_the_published_recipe():
    setting, seed = REAL_DATA[3], 4  # breast cancer, malignant subsampled to 5%
    X, benign = load_breast_cancer(return_X_y=True)
    y = 1 - benign
    negatives, positives = np.flatnonzero(y == 0), np.flatnonzero(y == 1)
    k = round(0.05 * negatives.size / 0.95)
    kept = np.random.default_rng(42 + seed).choice(positives, k, replace=False)
    chosen = np.sort(np.concatenate([negatives, kept]))
    X_train, X_test, y_train, y_test = train_test_split(
        X[chosen], y[chosen], test_size=0.3, stratify=y[chosen], random_state=42 + seed
    )
    scaler = StandardScaler().fit(X_train)
    data = make_data(setting, seed)
    np.testing.assert_array_equal(data.X_train, scaler.transform(X_train))
    np.testing.assert_array_equal(data.X_test, scaler.transform(X_test))
    np.testing.assert_array_equal(data.y_test.ravel(), y_test)
    assert (k, int(data.y_test.sum())) == (19, 6)


def test_data_seed_0_of_the_articles_setting_is_the_articles_data_split_with_strata():
    article, data = load_article_data(), make_data(ARTICLE_DATA, 0)
    ours = np.concatenate([data.X_train, data.X_test])
    np.testing.assert_array_equal(np.sort(ours, axis=0), np.sort(article.X, axis=0))
    assert data.y_train.sum() + data.y_test.sum() == article.y.sum()


def test_weights_come_from_each_training_split():
    data = make_data(REAL_DATA[2], 0)
    ratio = float((data.y_train == 0).sum() / (data.y_train == 1).sum())
    weights = [recipe.setup(data.negatives_per_positive).pos_weight for recipe in RECIPES]
    assert weights == [None, math.sqrt(ratio), ratio, None, None]


DASK_SCRIPT = """
import sys
from scratchnet.article.across_data import run_grid, write_grid_csv
from scratchnet.article.cluster import on_dask
from scratchnet.article.grid_data import REAL_DATA

if __name__ == "__main__":
    # study.py --dask local: a cluster of two worker processes, on free ports.
    with on_dask("local", workers=2):
        write_grid_csv(run_grid(REAL_DATA[3:4], range(2), range(2)), "two.csv")
    # study.py --dask tcp://...: a running scheduler's workers, here a single one.
    with on_dask(sys.argv[1]):
        write_grid_csv(run_grid(REAL_DATA[3:4], range(2), range(2)), "one_worker.csv")
"""


def started(command: list[str], log: Path, ready: str) -> tuple[subprocess.Popen, str]:
    """A process started, its stderr going to ``log``, and the first line of it that holds
    ``ready`` (a file, not a pipe: a pipe nobody reads would stop the process when full)."""
    with log.open("w") as sink:  # the child keeps its own copy of the file
        process = subprocess.Popen(command, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                   stderr=sink)  # fmt: skip
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        found = [line for line in log.read_text().splitlines() if ready in line]
        if found:
            return process, found[0]
        time.sleep(0.2)
    process.kill()
    raise AssertionError(f"{command[1:3]} did not say {ready!r}:\n{log.read_text()}")


def test_a_dask_cluster_of_any_size_gives_the_single_process_runs_bit_for_bit(runs, tmp_path):
    # The commands docs/across-data.md gives for a cluster of machines, on this one: a
    # scheduler on a free port, one worker. Each in its own process, with a timeout: a
    # cluster that hangs fails the test instead of the suite.
    # (python -m ... is what the dask command runs, found without the venv's bin on PATH.)
    scheduler, line = started(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--port", "0",
         "--no-dashboard"], tmp_path / "scheduler.log", "Scheduler at:",
    )  # fmt: skip
    address = line.split("Scheduler at:")[1].strip()
    worker, _ = started(
        [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
         "--no-dashboard"], tmp_path / "worker.log", "Registered to",
    )  # fmt: skip
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        (tmp_path / "on_dask.py").write_text(textwrap.dedent(DASK_SCRIPT))
        result = subprocess.run(
            [sys.executable, "on_dask.py", address],
            cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
    finally:
        for process in (worker, scheduler):
            process.terminate()
            process.wait(timeout=60)
    assert result.returncode == 0, result.stderr
    write_grid_csv(runs, tmp_path / "here.csv")
    here = (tmp_path / "here.csv").read_bytes()
    assert (tmp_path / "two.csv").read_bytes() == here
    assert (tmp_path / "one_worker.csv").read_bytes() == here


def test_the_csv_reads_back_every_run_exactly(runs, tmp_path):
    write_grid_csv(runs, tmp_path / "grid_runs.csv")
    assert read_grid_csv(tmp_path / "grid_runs.csv") == runs


def test_the_best_candidates_are_picked_on_training_f1_never_on_the_test_set(runs):
    # Make the article's focal loss at 30 epochs best on the training splits and worst on
    # the test sets: it must still be the pick.
    chosen = Candidate(RECIPES[3].name, 30)
    rigged = [
        dataclasses.replace(run, train_f1=2.0, tuned_f1=0.0)
        if Candidate(run.recipe, run.epochs) == chosen
        else run
        for run in runs
    ]
    answer = answer_of(rigged, SMALL[0])
    assert answer.best_focal == chosen
    assert answer.focal_f1 == 0.0
    cell = CellRuns(rigged, SMALL[0].name)
    others = [c for c in CANDIDATES if not c.recipe.startswith("focal")]
    best_train = max(others, key=lambda c: np.mean(cell.values(c, "train_f1")))
    assert answer.best_other == best_train


def test_the_answer_pairs_runs_by_data_seed_and_initialisation(runs):
    answer = answer_of(runs, SMALL[0])
    cell = CellRuns(runs, SMALL[0].name)
    difference = cell.values(answer.best_focal, "tuned_f1") - cell.values(
        answer.best_other, "tuned_f1"
    )
    assert answer.difference.mean == pytest.approx(difference.mean(), abs=1e-15)
    assert answer.difference.low <= answer.difference.mean <= answer.difference.high
    per_data_seed = difference.mean(axis=1)
    assert (answer.wins, answer.ties, answer.losses) == (
        int((per_data_seed > 0).sum()),
        int((per_data_seed == 0).sum()),
        int((per_data_seed < 0).sum()),
    )
    assert 0.0 <= answer.win_share.low <= answer.win_share.high <= 1.0
    assert answer.test_positives == (6, 6) and answer.data_seeds == 2


def test_every_focal_recipe_meets_every_other_at_each_epochs(runs):
    rows = paired_differences(runs, SMALL[0])
    assert len(rows) == 2 * 2 * 3
    assert {(epochs, focal[:5], other[:3]) for epochs, focal, other, _ in rows} == {
        (epochs, "focal", "BCE") for epochs in (30, 100)
    }


def test_run_grid_names_a_bad_argument():
    with pytest.raises(ValueError, match="data_seeds must hold at least 2, got 1"):
        run_grid(SMALL, [0], [0])
    with pytest.raises(ValueError, match="init_seeds must not repeat"):
        run_grid(SMALL, [0, 1], [3, 3])


TINY_CELL = DataSetting("90:10, separation 2", "synthetic", 0.1, class_sep=2.0, n_samples=600)
TINY_GRID = ["--grid", "--data-seeds", "2", "--inits", "1", "--jobs", "1", "--out"]


def test_grid_command_writes_its_files(tmp_path, monkeypatch, capsys):
    # A grid cell of 600 samples, beside the two small real data sets: a second's work.
    monkeypatch.setattr(study, "default_settings", lambda extreme: [*SMALL, TINY_CELL])
    assert study.main([*TINY_GRID, str(tmp_path)]) == 0
    names = {path.name for path in tmp_path.iterdir()}
    assert names == {"grid_runs.csv", "across_data.md", "across_data.png"}
    page = (tmp_path / "across_data.md").read_text()
    assert "90:10, separation 2" in page and "two-level bootstrap" in page
    assert len(read_grid_csv(tmp_path / "grid_runs.csv")) == 2 * 2 * len(RECIPES) * 2
    output = capsys.readouterr()
    assert "## The answer per data setting" in output.out
    # Two data seeds: every interval over data is too wide to trust, and nothing is starred.
    assert "CAUTION: 2 data seeds per setting" in page and "CAUTION" in output.err
    answer_table = page.split("## The answer per data setting\n\n")[1].split("\n\n")[0]
    assert " *" not in answer_table and "*: the interval excludes 0" not in page
    assert "x 1 initialisation x" in output.err and "initialisation 0;" in page


def test_an_interrupted_grid_resumes_from_the_trainings_it_kept(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(study, "default_settings", lambda extreme: [*SMALL, TINY_CELL])
    assert study.main([*TINY_GRID, str(tmp_path / "whole")]) == 0
    kept = study.append_grid_csv

    def keep_two_then_interrupt(task_runs, path):  # Ctrl-C as the third task comes back
        if path.exists() and len(read_grid_csv(path)) == 2 * len(RECIPES) * 2:
            raise KeyboardInterrupt
        kept(task_runs, path)

    monkeypatch.setattr(study, "append_grid_csv", keep_two_then_interrupt)
    assert study.main([*TINY_GRID, str(tmp_path / "resumed")]) == 130
    assert capsys.readouterr().err.endswith(
        "study.py: interrupted after 10 of 20 trainings; the same command resumes from those "
        f"kept in {tmp_path / 'resumed' / 'grid_runs.partial.csv'}\n"
    )
    monkeypatch.setattr(study, "append_grid_csv", kept)
    assert study.main([*TINY_GRID, str(tmp_path / "resumed")]) == 0
    assert "resuming: 10 trainings kept" in capsys.readouterr().err
    whole, resumed = (tmp_path / name / "grid_runs.csv" for name in ("whole", "resumed"))
    assert resumed.read_bytes() == whole.read_bytes()
    assert not (tmp_path / "resumed" / "grid_runs.partial.csv").exists()


def test_the_across_data_page_holds_the_answer_table_study_py_wrote():
    # docs/across-data.md discusses the answer table, so it carries a copy of the one in
    # docs/study/across_data.md, which python study.py --grid wrote; this keeps it current.
    written = (ROOT / "docs/study/across_data.md").read_text(encoding="utf-8")
    page = (ROOT / "docs/across-data.md").read_text(encoding="utf-8")
    answer = written.split("## The answer per data setting\n\n")[1].split("\n\n")[0]
    assert answer.startswith("| data |") and answer in page


def test_grid_command_refuses_fewer_than_two_data_seeds_in_one_line(capsys):
    with pytest.raises(SystemExit) as stopped:
        study.main(["--grid", "--data-seeds", "1"])
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert error == (
        "study.py: error: argument --data-seeds: expected at least 2 data seeds "
        "(an interval over data needs them), got '1'\n"
    )
