"""`python -m scratchnet.gradcheck` as a learner uses it: what it checks by default, a
learner's own layers (float32 ones included), and its exit statuses, each with a sentence
and never a traceback."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import scratchnet as sn
from scratchnet.commands import gradcheck_command as command
from scratchnet.commands.gradcheck_command import main
from scratchnet.gradcheck import TensorCheck

LEARNER = '''
import numpy as np
import scratchnet as sn


class Tanh(sn.Module):
    def forward(self, x):
        self.y = np.tanh(x)
        return self.y

    def backward(self, dL_dy):
        return dL_dy * (1 - self.y**2)


class BrokenTanh(Tanh):
    def backward(self, dL_dy):
        return dL_dy * (1 - self.y)  # forgot the square


class Tanh32(Tanh):
    dtype = np.float32

    def forward(self, x):
        return super().forward(x.astype(np.float32))


class BrokenTanh32(Tanh32):
    def backward(self, dL_dy):
        return dL_dy * (1 - self.y)


class InPlaceTanh(Tanh):
    def forward(self, x):
        self.y = np.tanh(x, out=x)
        return self.y


class Scale32(sn.Module):
    """y = x * w, with w (3,) in float32, found by assignment."""

    dtype = np.float32

    def __init__(self, wrong=False):
        self.w = sn.Parameter(np.array([0.5, -1.0, 2.0], dtype=np.float32))
        self.wrong = wrong

    def forward(self, x):
        self.x = x.astype(np.float32)
        return self.x * self.w.data

    def backward(self, dL_dy):
        self.w.grad = (dL_dy * self.x).sum(axis=0) * (1.1 if self.wrong else 1.0)
        return dL_dy * self.w.data


def wrong_scale():
    return Scale32(wrong=True)


class Wiggle(sn.Module):
    """y = sin(1000 x) / 1000: smooth, but it turns within a step h = 1e-3."""

    def forward(self, x):
        self.x = x
        return np.sin(1000 * x) / 1000

    def backward(self, dL_dy):
        return dL_dy * np.cos(1000 * self.x)


class Scale(sn.Module):
    def forward(self, x):
        return 2 * x


class NeedsWidth(sn.Module):
    def __init__(self, width):
        self.width = width


class CrashingForward(Tanh):
    def forward(self, x):
        return {}[x.shape]


def tanh_net():
    return sn.Sequential(sn.Linear(3, 4, rng=0), Tanh(), sn.Linear(4, 1, rng=1))


def broken_net():
    return sn.Sequential(sn.Linear(3, 4, rng=0), BrokenTanh(), sn.Linear(4, 1, rng=1))


tanh = Tanh()
not_a_layer = dict
'''
FILES = {
    "mylayers.py": LEARNER,
    "typo.py": "def forward(self, x:\n    return x\n",
    "needs_data.py": "import numpy\n\nraise FileNotFoundError('data.csv is missing')\n",
}


@pytest.fixture
def learner(tmp_path, monkeypatch):
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in FILES:
        sys.modules.pop(name.removesuffix(".py"), None)


ROOT = Path(__file__).resolve().parents[1]


def run(*args, cwd):
    """The command in a fresh interpreter, on this checkout's scratchnet."""
    return subprocess.run(
        [sys.executable, "-m", "scratchnet.gradcheck", *args],
        capture_output=True, text=True, cwd=cwd, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


def checked(capsys, *targets):
    """main's exit status and the lines it printed."""
    status = main(list(targets))
    return status, capsys.readouterr().out.splitlines()


def test_the_command_checks_every_layer_every_loss_and_the_network(tmp_path):
    result = run(cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "checked", "tensor", "dtype", "worst", "rel.", "error", "tolerance", "result",
    ]  # fmt: skip
    layers = [
        name for name, value in vars(sn.layers).items()
        if isinstance(value, type) and issubclass(value, sn.Module)
        and name not in ("Module", "Sequential")
    ]  # fmt: skip
    losses = [
        name for name, value in vars(sn.losses).items()
        if isinstance(value, type) and value.__module__ == "scratchnet.losses"
    ]  # fmt: skip
    assert len(layers) >= 3 and len(losses) == 4
    for name in layers + losses:
        assert any(line.startswith(f"{name}(") for line in lines), name
    checked = list(dict.fromkeys(line.split("  ")[0] for line in lines[1:] if "  " in line))
    assert checked == [
        "Linear(3, 4)", "Linear(3, 4, float32)", "ReLU()", "Sigmoid()", "Tanh()",
        "the article's network, 2-16-8-1", "BCELoss()", "BCELoss(pos_weight=8.3)",
        "FocalLoss(), the article's", "FocalLoss(0.75, alpha_mode='per_class')",
        "BCEWithLogitsLoss()", "BCEWithLogitsLoss(pos_weight=8.3)", "FocalLossWithLogits()",
    ]  # fmt: skip
    network_rows = [line for line in lines if line.startswith("the article's network, 2-16-8-1")]
    tensors = ["input", "0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert [row.split()[4] for row in network_rows] == tensors
    assert any(line.split()[:3] == ["Linear(3,", "4,", "float32)"] for line in lines)
    rows = [line for line in lines if line.endswith("  pass")]
    assert lines[len(rows) + 1 :] == [
        "float64: step h = 0.001, tolerance 1e-07 on |a - b| / max(|a| + |b|, 1e-12)",
        "float32: step h = 0.01, tolerance 0.01 on |a - b| / max(|a| + |b|, 0.01)",
        f"{len(rows)} passed, 0 failed, 0 inconclusive",
    ]


def test_a_learners_layer_and_network_pass(learner, capsys):
    status, lines = checked(capsys, "mylayers:Tanh", "mylayers:tanh_net", "mylayers:tanh")
    assert status == 0
    assert lines[-1] == "7 passed, 0 failed, 0 inconclusive"  # 1 + input and 4 parameters + 1
    assert re.match(r"mylayers:tanh_net\s+2\.bias\s+float64\s+\S+\s+1e-07  pass", lines[6])


def test_a_wrong_backward_fails_with_both_values_at_its_worst_element(learner, capsys):
    status, lines = checked(capsys, "mylayers:BrokenTanh")
    assert status == 1
    assert re.match(r"mylayers:BrokenTanh\s+input\s+float64\s+\S+\s+1e-07  FAIL$", lines[1])
    assert lines[-1] == "0 passed, 1 failed, 0 inconclusive"
    (detail,) = [line for line in lines if line.startswith("mylayers:BrokenTanh, input: ")]
    where = re.search(r"at \[(\d), (\d)\] backward gives (\S+), finite differences (\S+)$", detail)
    i, j, analytic, numerical = int(where[1]), int(where[2]), float(where[3]), float(where[4])
    rng = np.random.default_rng(0)  # what the command drew: x, then dL_dy
    x, dL_dy = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    y = np.tanh(x)
    assert analytic == pytest.approx((dL_dy * (1 - y))[i, j], rel=1e-5)
    assert numerical == pytest.approx((dL_dy * (1 - y**2))[i, j], rel=1e-5)
    errors = np.abs(y - y**2) / (np.abs(1 - y) + np.abs(1 - y**2))  # dL_dy cancels
    assert (i, j) == np.unravel_index(np.argmax(errors), errors.shape)


def test_a_network_names_the_first_module_that_fails_on_its_own(learner, capsys):
    status, lines = checked(capsys, "mylayers:broken_net")
    assert status == 1
    notes = [line for line in lines if line.startswith("mylayers:broken_net, ")]
    assert [note.split(": ")[0] for note in notes] == [
        f"mylayers:broken_net, {tensor}" for tensor in ("input", "0.weight", "0.bias")
    ]
    assert notes[0].endswith("; module 1, BrokenTanh(), is the first to fail on its own")


def test_a_float32_layer_is_checked_in_float32_at_its_own_tolerance(learner, capsys):
    status, lines = checked(capsys, "mylayers:Tanh32", "mylayers:Scale32")
    assert status == 0, lines
    assert [line.split()[1:3] for line in lines[1:4]] == [
        ["input", "float32"], ["input", "float32"], ["w", "float32"],
    ]  # fmt: skip
    assert all(line.split()[-2:] == ["1e-02", "pass"] for line in lines[1:4])
    assert "float32: step h = 0.01, tolerance 0.01 on |a - b| / max(|a| + |b|, 0.01)" in lines
    assert not any(line.startswith("float64:") for line in lines)


def test_a_wrong_float32_layer_or_parameter_gradient_fails(learner, capsys):
    status, lines = checked(capsys, "mylayers:BrokenTanh32", "mylayers:wrong_scale")
    assert status == 1
    assert lines[-1] == "1 passed, 2 failed, 0 inconclusive"  # wrong_scale's input is right
    assert lines[3].split()[:2] == ["mylayers:wrong_scale", "w"] and lines[3].endswith("FAIL")


def test_a_forward_that_writes_into_its_input_fails_with_that_reason(learner, capsys):
    status, lines = checked(capsys, "mylayers:InPlaceTanh")
    assert status == 1
    assert "mylayers:InPlaceTanh, input: forward modified its input" in lines
    assert lines[-1] == "0 passed, 1 failed, 0 inconclusive"


def test_what_the_checker_cannot_decide_is_inconclusive_with_status_3(learner, capsys):
    status, lines = checked(capsys, "mylayers:Wiggle")
    assert status == 3
    assert lines[1].endswith("  inconclusive")
    assert lines[-1] == "0 passed, 0 failed, 1 inconclusive"
    assert lines[-2].startswith("inconclusive: a finite-difference step crossed a kink")


def test_a_failure_outweighs_an_inconclusive_check(learner, capsys):
    assert main(["mylayers:Wiggle", "mylayers:BrokenTanh", "mylayers:Tanh"]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "1 passed, 1 failed, 1 inconclusive"


@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("mylayers:not_a_layer", "target 'mylayers:not_a_layer' must be a scratchnet Module, "
         "got a dict"),
        ("mylayers:missing", "target 'mylayers:missing': mylayers has no missing"),
        ("mylayers", "target must be package.module:Name, got 'mylayers'"),
        ("no_such_file:Tanh", "cannot import no_such_file: ModuleNotFoundError: No module "
         "named 'no_such_file'"),
        ("typo:Tanh", r"cannot import typo: SyntaxError: .+ \(/\S*typo\.py, line 1\)$"),
        ("needs_data:Tanh", r"cannot import needs_data: FileNotFoundError: data\.csv is missing "
         r"\(.*needs_data\.py, line 3\)"),
        ("mylayers:NeedsWidth", r"target 'mylayers:NeedsWidth' cannot be built with no "
         r"arguments: TypeError: .*missing 1 required positional argument: 'width'$"),
        ("mylayers:CrashingForward", r"KeyError: \(5, 3\) \(.*mylayers\.py, line \d+\)"),
        ("mylayers:Scale", r"Scale has no backward: write Scale\.backward\(self, dL_dy\), "
         "returning dL_dx$"),
    ],
)  # fmt: skip
def test_a_module_that_cannot_be_loaded_or_run_is_status_2_and_one_sentence(
    learner, capsys, target, says
):
    with pytest.raises(SystemExit) as exit:
        main([target])
    assert exit.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and err[0].startswith("usage: python -m scratchnet.gradcheck")
    assert err[1].startswith(f"python -m scratchnet.gradcheck: error: {target}: ")
    assert re.search(says, err[1]), err[1]


def test_a_bad_flag_is_status_2(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["--seed", "one"])
    assert exit.value.code == 2 and "--seed: invalid int value: 'one'" in capsys.readouterr().err


def test_a_learners_syntax_error_reaches_the_terminal_as_a_sentence_not_a_traceback(learner):
    result = run("typo:Tanh", cwd=learner)
    assert result.returncode == 2 and result.stdout == ""
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith(
        "python -m scratchnet.gradcheck: error: typo:Tanh: cannot import typo: SyntaxError: "
    )


def test_the_seed_chooses_the_inputs(learner, capsys):
    first = checked(capsys, "mylayers:Tanh")[1]
    assert checked(capsys, "mylayers:Tanh", "--seed", "0")[1] == first
    assert checked(capsys, "mylayers:Tanh", "--seed", "1")[1][1] != first[1]


def test_the_default_checks_use_these_modules_losses_and_inputs(monkeypatch):
    seen = []

    def record(kind):
        def check(subject, *arrays, rng):
            seen.append((kind, repr(subject).replace("\n", ""), *map(np.array, arrays)))
            return [TensorCheck("t", 0.0, 1e-7, "pass")]

        return check

    monkeypatch.setattr(command, "check_gradients", record("module"))
    monkeypatch.setattr(command, "check_loss", record("loss"))
    command.scratchnet_checks()
    modules = [(what, x.shape) for kind, what, x in seen[:6]]
    assert modules == [
        ("Linear(in_features=3, out_features=4, dtype=float64)", (5, 3)),
        ("Linear(in_features=3, out_features=4, dtype=float32)", (5, 3)),
        ("ReLU()", (5, 3)), ("Sigmoid()", (5, 3)), ("Tanh()", (5, 3)),
        ("Sequential(  (0): Linear(in_features=2, out_features=16, dtype=float64)  (1): ReLU()"
         "  (2): Linear(in_features=16, out_features=8, dtype=float64)  (3): ReLU()"
         "  (4): Linear(in_features=8, out_features=1, dtype=float64)  (5): Sigmoid())", (20, 2)),
    ]  # fmt: skip
    losses = seen[6:]
    assert [what for _, what, _, _ in losses] == [
        "BCELoss(reduction='mean')", "BCELoss(pos_weight=8.3, reduction='mean')",
        "FocalLoss(alpha=0.25, gamma=2.0, alpha_mode='constant', reduction='mean', eps=1e-07)",
        "FocalLoss(alpha=0.75, gamma=2.0, alpha_mode='per_class', reduction='mean', eps=1e-07)",
        "BCEWithLogitsLoss(reduction='mean')",
        "BCEWithLogitsLoss(pos_weight=8.3, reduction='mean')",
        "FocalLossWithLogits(alpha=0.25, gamma=2.0, alpha_mode='constant', reduction='mean')",
    ]  # fmt: skip
    for _, _, _, y in losses:
        np.testing.assert_array_equal(y, [[0.0], [1.0]] * 8)
    p = np.concatenate([inputs for _, _, inputs, _ in losses[:4]])
    logits = np.concatenate([inputs for _, _, inputs, _ in losses[4:]])
    assert p.shape == (64, 1) and 0.1 <= p.min() < 0.12 and 0.88 < p.max() <= 0.9
    assert logits.shape == (48, 1) and -2 <= logits.min() < -1.9 and 1.99 < logits.max() <= 2


def test_the_functions_behind_the_command_default_to_seed_0(learner, capsys):
    assert main([]) == 0
    assert capsys.readouterr().out.startswith(command.format_table(command.scratchnet_checks()))
    main(["mylayers:Tanh"])
    table = command.format_table(command.module_checks("mylayers:Tanh"))
    assert capsys.readouterr().out.startswith(table)


def test_the_command_says_what_it_does_when_asked(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["--help"])
    assert exit.value.code == 0
    help = f" {' '.join(capsys.readouterr().out.split())} "
    for says in [
        "Check hand-written backward passes against finite differences.",
        "modules of your own, as package.module:Name (default: every scratchnet layer and "
        "loss, and the article's network)",
        "seed of the inputs (default 0)",
    ]:
        assert f" {says} " in help
