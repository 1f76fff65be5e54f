"""The exercises: every untouched starter fails, the lesson's own classes pass, and each
catalogued wrong answer fails first with its own hint, naming the wrong tensor. Then the
command: its exit statuses, no traceback for a learner's error, results that ``list``
shows, and the same command from a non-editable build of the package.

Grading runs in-process; subprocesses only for what a terminal sees.
"""

import inspect
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from exercise_mistakes import (
    ADAM,
    BCE,
    BCE_LOGITS,
    FOCAL,
    FOCAL_LOGITS,
    LINEAR,
    NETWORK,
    RELU,
    SIGMOID,
    TANH,
    LinearInputTransposed,
)

import scratchnet as sn
from scratchnet.exercises import adam_exercise
from scratchnet.exercises.catalogue import BY_NAME, EXERCISES, mistakes_table
from scratchnet.exercises.command import RESULTS, learner_files, main
from scratchnet.exercises.grading import LearnerError

ROOT = Path(__file__).resolve().parents[1]
STARTERS = ROOT / "scratchnet" / "exercises" / "starters"
NAMES = [exercise.name for exercise in EXERCISES]
CLASS_OF = {
    "relu": "ReLU", "sigmoid": "Sigmoid", "linear": "Linear", "bce": "BCELoss",
    "bce_logits": "BCEWithLogitsLoss", "focal": "FocalLoss",
    "focal_logits": "FocalLossWithLogits", "adam": "Adam", "tanh": "Tanh",
}  # fmt: skip
ANSWER_KEY = {name: f"from scratchnet import {cls}\n" for name, cls in CLASS_OF.items()}
ANSWER_KEY["network"] = (
    "from scratchnet import train\nfrom scratchnet.article.experiment import article_network\n"
)
MISTAKES = {
    "relu": RELU, "sigmoid": SIGMOID, "linear": LINEAR, "bce": BCE, "bce_logits": BCE_LOGITS,
    "focal": FOCAL, "focal_logits": FOCAL_LOGITS, "adam": ADAM, "tanh": TANH,
}  # fmt: skip


def first_failure(exercise_name: str, load):
    """The first check that fails, or None; grading stops there, as a learner reads it."""
    return next((c for c in BY_NAME[exercise_name].grade(load) if not c.passed), None)


def write_answer_key(folder: Path) -> None:
    for name, code in ANSWER_KEY.items():
        (folder / f"{name}.py").write_text(code)


def test_the_exercises_come_in_the_issues_order():
    assert NAMES == [
        "relu", "sigmoid", "linear", "bce", "bce_logits", "focal", "focal_logits", "adam",
        "tanh", "network",
    ]  # fmt: skip


@pytest.mark.parametrize("name", NAMES)
def test_an_untouched_starter_fails_at_the_method_left_to_write(name):
    with learner_files(STARTERS) as load, pytest.raises(LearnerError) as raised:
        list(BY_NAME[name].grade(load))
    message = str(raised.value)
    assert message.startswith("NotImplementedError: ") and "is yours to write" in message
    assert re.search(rf"at \S*starters/{name}\.py:\d+: raise NotImplementedError", message)


@pytest.mark.parametrize("name", [n for n in NAMES if n != "network"])
def test_a_starter_imports_only_numpy_and_scratchnets_public_base_classes(name):
    imports = [
        line
        for line in (STARTERS / f"{name}.py").read_text().splitlines()
        if line.startswith(("import ", "from "))
    ]
    assert imports[0].startswith("import numpy as np")  # there for the learner to use
    for line in imports:
        assert line.startswith("import numpy as np") or re.fullmatch(
            r"from scratchnet import (Loss|Module|Optimizer|Module, Parameter)", line
        ), line


def test_every_file_that_imports_the_lessons_own_class_passes_every_check(tmp_path):
    write_answer_key(tmp_path)
    with learner_files(tmp_path) as load:
        for exercise in EXERCISES:
            checks = list(exercise.grade(load))
            assert len(checks) >= 4, exercise.name
            failures = [check for check in checks if not check.passed]
            assert not failures, (exercise.name, failures)


def wrong_answers() -> list:
    return [
        pytest.param(name, wrong, hint, id=f"{name}-{wrong.__name__}")
        for name, answers in MISTAKES.items()
        for wrong, hint in answers
    ]


@pytest.mark.parametrize(("name", "wrong", "hint"), wrong_answers())
def test_each_catalogued_mistake_fails_first_with_its_own_hint(name, wrong, hint):
    answer = SimpleNamespace(**{CLASS_OF[name]: wrong})
    failure = first_failure(name, lambda _: answer)
    assert failure is not None, f"{wrong.__name__} passed every check"
    assert hint in failure.hint, failure
    others = [other for _, other in MISTAKES[name] if other != hint]
    assert not [other for other in others if other in failure.hint], failure.hint


@pytest.mark.parametrize(("parts", "hint"), NETWORK, ids=[hint for _, hint in NETWORK])
def test_each_network_mistake_fails_first_with_its_own_hint(parts, hint):
    failure = first_failure("network", parts().__getitem__)
    assert failure is not None and hint in failure.hint, failure


def test_a_learners_exception_is_its_type_message_and_their_own_line():
    answer = SimpleNamespace(Linear=LinearInputTransposed)
    # Transposed on a non-square layer, the product raises: shown where the learner wrote it.
    exercise = BY_NAME["linear"]
    with pytest.raises(LearnerError) as raised:
        for check in exercise.grade(lambda _: answer):
            assert check.passed or "transposed product" in check.hint
    message = str(raised.value)
    assert message.startswith("ValueError: matmul")
    assert re.search(r"at \S*tests/exercise_mistakes\.py:\d+: return dL_dy @ self.weight.data$",
                     message)  # fmt: skip


def test_adams_mistake_models_start_from_the_lessons_rule():
    initial, gradients = adam_exercise._steps(np.float64)
    params = [sn.Parameter(value.copy()) for value in initial]
    optimizer = sn.Adam(params, lr=0.05, betas=(0.8, 0.99), eps=0.1)
    simulated = adam_exercise.simulate(initial, gradients, lr=0.05, betas=(0.8, 0.99), eps=0.1)
    for grads, after in zip(gradients, simulated):
        for param, grad in zip(params, grads):
            param.grad = grad
        optimizer.step()
        for param, value in zip(params, after):
            np.testing.assert_allclose(param.data, value, rtol=1e-14)


def test_a_check_reads_the_file_as_it_is_now_even_within_the_same_second(tmp_path):
    path = tmp_path / "relu.py"
    path.write_text("from scratchnet import Sigmoid as ReLU\n")
    with learner_files(tmp_path) as load:
        assert first_failure("relu", load) is not None
    path.write_text("from scratchnet import ReLU as ReLU\n")  # same size, same second
    with learner_files(tmp_path) as load:
        assert first_failure("relu", load) is None
    assert not (tmp_path / "__pycache__").exists()
    assert "relu" not in sys.modules and str(tmp_path) not in sys.path


def test_every_exercise_points_at_a_heading_of_the_tour():
    tour = (ROOT / "docs" / "tour.md").read_text()
    headings = set(re.findall(r"^## (.+)$", tour, flags=re.MULTILINE))
    for exercise in EXERCISES:
        assert exercise.tour in headings, exercise.name
        assert f"(tour.md#{exercise.tour_anchor})" in (ROOT / "docs/exercises.md").read_text()


# --- the command --------------------------------------------------------------------------


def command(*args, cwd, env=None):
    """The command in a terminal at ``cwd``, with this checkout's scratchnet (or ``env``'s)."""
    env = env or {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "scratchnet.exercises", *args],
        capture_output=True, text=True, cwd=cwd, timeout=120, env=env,
    )  # fmt: skip


def test_start_writes_the_starter_and_never_overwrites_a_file(tmp_path):
    started = command("start", "relu", cwd=tmp_path)
    assert started.returncode == 0, started.stderr
    written = tmp_path / "scratchnet-exercises" / "relu.py"
    assert written.read_text() == (STARTERS / "relu.py").read_text()
    assert 'docs/tour.md, section "Layers", the paragraph ReLU' in started.stdout
    written.write_text("# my work\n")
    again = command("start", "relu", cwd=tmp_path)
    assert again.returncode == 2 and again.stdout == ""
    assert again.stderr.count("\n") == 1 and "start never overwrites a file" in again.stderr
    assert written.read_text() == "# my work\n"


def test_check_exits_0_1_or_2_and_never_shows_a_traceback(tmp_path):
    shutil.copy(STARTERS / "relu.py", tmp_path / "relu.py")
    (tmp_path / "sigmoid.py").write_text("import numpy as np\n\nclass Sigmoid(\n")
    (tmp_path / "linear.py").write_text(ANSWER_KEY["linear"])
    results = {name: command("check", name, "--dir", ".", cwd=tmp_path) for name in
               ("relu", "sigmoid", "linear", "tanh", "softmax")}  # fmt: skip
    assert [result.returncode for result in results.values()] == [1, 1, 0, 2, 2]
    assert all("Traceback" not in result.stdout + result.stderr for result in results.values())
    assert "NotImplementedError: ReLU.backward is yours to write" in results["relu"].stdout
    assert re.search(r"at relu\.py:\d+: raise NotImplementedError", results["relu"].stdout)
    assert "SyntaxError: '(' was never closed\n        at sigmoid.py:3" in results["sigmoid"].stdout
    assert results["linear"].stdout.splitlines()[-1].startswith("linear: all 9 checks passed")
    assert "no file tanh.py: start it with" in results["tanh"].stderr
    assert "there is no exercise 'softmax'" in results["softmax"].stderr


def test_list_shows_each_exercise_with_its_stored_result(tmp_path, capsys):
    write_answer_key(tmp_path)
    (tmp_path / "sigmoid.py").write_text("from scratchnet import ReLU as Sigmoid\n")
    assert main(["--dir", str(tmp_path), "check", "relu"]) == 0  # --dir on either side
    assert main(["check", "sigmoid", "--dir", str(tmp_path)]) == 1
    assert (tmp_path / RESULTS).exists()
    (tmp_path / "relu.py").write_text(ANSWER_KEY["relu"] + "# edited\n")
    (tmp_path / "adam.py").unlink()
    capsys.readouterr()
    assert main(["--dir", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [re.fullmatch(r"\s*\d+\. (\S+)\s+(.*)", line) for line in lines]
    status = {row.group(1): row.group(2) for row in rows if row}
    assert status["relu"] == "passed, edited since"
    assert re.fullmatch(r"failed \d+ of \d+ checks", status["sigmoid"])
    assert status["linear"] == "not checked yet" and status["adam"] == "not started"
    # relu first: edited since it passed, it needs checking again
    assert lines[-1] == f"Next: python -m scratchnet.exercises check relu --dir {tmp_path}"
    write_answer_key(tmp_path)  # every file the lesson's, every check passed
    for exercise in EXERCISES:
        assert main(["check", exercise.name, "--dir", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["list", "--dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "Every exercise passed."


def test_the_command_works_from_a_non_editable_build(tmp_path):
    """What a wheel installs: setuptools' build step, from the pyproject.toml's package list."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "scratchnet", source / "scratchnet",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    built = subprocess.run(
        [sys.executable, "-c", "from setuptools import setup; setup()", "-q", "build_py",
         "--build-lib", str(tmp_path / "lib")],
        cwd=source, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    shutil.rmtree(source)  # nothing of the checkout is left to import from
    env = {"PATH": "", "PYTHONPATH": str(tmp_path / "lib")}
    started = command("start", "relu", cwd=tmp_path, env=env)
    assert started.returncode == 0, started.stderr
    (tmp_path / "scratchnet-exercises" / "relu.py").write_text(ANSWER_KEY["relu"])
    checked = command("check", "relu", cwd=tmp_path, env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    where = subprocess.run(
        [sys.executable, "-c", "import scratchnet.exercises.starters as s; print(s.__file__)"],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert where.stdout.startswith(str(tmp_path / "lib")), where.stdout + where.stderr


def test_the_guide_shows_what_a_check_prints(tmp_path, monkeypatch, capsys):
    page = (ROOT / "docs" / "exercises.md").read_text()
    shown = re.search(r"```text\n(checking relu.*?)```", page, flags=re.DOTALL).group(1)
    monkeypatch.chdir(tmp_path)
    assert main(["start", "relu"]) == 0
    path = tmp_path / "scratchnet-exercises" / "relu.py"
    starter = path.read_text()
    body = starter.index("        # The derivation to carry out")
    path.write_text(starter[:body] + "        return 1.0 * (self.y > 0)\n")
    capsys.readouterr()
    assert main(["check", "relu"]) == 1
    assert capsys.readouterr().out == shown
    path.write_text(starter[:body] + "        return dL_dy * (self.y > 0)\n")
    assert main(["check", "relu"]) == 0
    assert "Next: `python -m scratchnet.exercises start sigmoid`" in capsys.readouterr().out


def test_the_guides_table_of_mistakes_is_the_catalogues():
    page = (ROOT / "docs" / "exercises.md").read_text()
    table = mistakes_table()
    assert table in page, f"paste this table into docs/exercises.md:\n{table}"
    assert table.count("\n") == len(EXERCISES) + 2  # a row each but network's, and generic's


def test_the_guide_shows_what_a_check_prints_for_an_uncatalogued_mistake(tmp_path, monkeypatch,
                                                                         capsys):  # fmt: skip
    page = (ROOT / "docs" / "exercises.md").read_text()
    shown = re.search(r"```text\n(checking focal.*?)```", page, flags=re.DOTALL).group(1)
    monkeypatch.chdir(tmp_path)
    assert main(["start", "focal"]) == 0
    path = tmp_path / "scratchnet-exercises" / "focal.py"
    starter = path.read_text()
    body = starter.index("        # The derivation to carry out")
    path.write_text(starter[:body] + FOCAL_WITH_Y_FOR_THE_SIGN)
    capsys.readouterr()
    assert main(["check", "focal"]) == 1
    assert capsys.readouterr().out == shown


FOCAL_WITH_Y_FOR_THE_SIGN = """\
        gamma, p_t, one_minus_p_t = self.gamma, self.p_t, self.one_minus_p_t
        power_term = gamma * one_minus_p_t ** (gamma - 1) * self.log_p_t
        dl_dp_t = self.alpha_t * (power_term - one_minus_p_t**gamma / p_t)
        inside = (self.p >= self.eps) & (self.p <= 1 - self.eps)
        return self.through_reduction(dL_out) * np.where(inside, self.y * dl_dp_t, 0)
"""


def test_the_adam_starter_with_the_lessons_step_pasted_in_passes_every_check(tmp_path):
    # The starter's constructor makes the state the lesson's step reads: exp_avg,
    # exp_avg_sq and step_count, assigned in __init__ as the lesson's Adam does.
    assert command("start", "adam", cwd=tmp_path).returncode == 0
    written = tmp_path / "scratchnet-exercises" / "adam.py"
    door = "doors.gradients(self.params, self.weight_decay)"  # the check, not the math
    lesson = inspect.getsource(sn.Adam.step).replace(door, "[p.grad for p in self.params]")
    starter = written.read_text()
    start = starter.index("    def step(self):")
    written.write_text(starter[:start] + lesson)
    checked = command("check", "adam", "--dir", str(written.parent), cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert re.search(r"^adam: all \d+ checks passed", checked.stdout, re.M), checked.stdout
