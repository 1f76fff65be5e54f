"""The exercise command never hangs and never ends in a traceback: an endless loop in the
learner's code is stopped at the time limit with one sentence, Ctrl-C is one line and exit
status 130 with nothing stored, and a reader that closes the pipe ends it quietly."""

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from scratchnet.exercises import command
from scratchnet.exercises.command import DEFAULT_TIMEOUT, RESULTS, main

ROOT = Path(__file__).resolve().parents[1]
ENDLESS_RELU = """\
import numpy as np

from scratchnet import ReLU as LessonReLU


class ReLU(LessonReLU):
    def backward(self, dL_dy):
        while True:
            pass
"""
no_sigalrm = pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="no SIGALRM here")


def exercises(*args, cwd):
    """The command as a terminal starts it, unbuffered, with this checkout's scratchnet."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "scratchnet.exercises", *args],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # A shell starts background jobs with Ctrl-C ignored, and Python keeps it ignored:
        # give the command the terminal's default, as a user's shell would.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip


@no_sigalrm
def test_an_endless_loop_ends_at_the_time_limit_with_one_sentence_naming_the_call(tmp_path):
    (tmp_path / "relu.py").write_text(ENDLESS_RELU)
    with exercises("check", "relu", "--dir", ".", "--timeout", "1", cwd=tmp_path) as process:
        out, err = process.communicate(timeout=120)
    assert process.returncode == 1 and err == ""
    first, last = out.splitlines()
    assert first.startswith("checking relu")
    assert re.fullmatch(
        r"relu: ReLU\.backward did not finish: your code's 1 s for this exercise ran out at "
        r"relu\.py:(8 \(while True:\)|9 \(pass\)); look for a loop that never ends, or "
        r"allow more with --timeout SECONDS",
        last,
    ), last
    stored = json.loads((tmp_path / RESULTS).read_text())["relu"]
    assert stored["timed_out"] and not stored["stopped_at_an_error"]
    with exercises("list", "--dir", ".", cwd=tmp_path) as process:
        listed = process.communicate(timeout=120)[0]
    assert re.search(r"1\. relu +stopped: your code ran out of time\n", listed), listed


@no_sigalrm
def test_the_clock_counts_only_the_learners_code_and_stops_inside_their_own_except(
    tmp_path, capsys
):
    (tmp_path / "relu.py").write_text(
        ENDLESS_RELU.replace("            pass", "            try:\n"
                             "                sum(range(10**6))\n"
                             "            except Exception:\n"
                             "                pass")
    )  # fmt: skip
    assert main(["check", "relu", "--dir", str(tmp_path), "--timeout", "0.5"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[-1].startswith("relu: ReLU.backward did not finish: your code's 0.5 s")


def test_the_default_time_limit_is_ten_seconds_and_a_bad_one_is_refused(capsys):
    assert DEFAULT_TIMEOUT == 10
    assert command._parser().parse_args(["check", "relu"]).timeout == 10
    for bad in ("0", "-1", "nan", "inf", "soon"):
        with pytest.raises(SystemExit) as raised:
            main(["check", "relu", "--timeout", bad])
        assert raised.value.code == 2
        error = capsys.readouterr().err
        assert error.count("\n") == 1 and "a number of seconds above 0" in error


def test_ctrl_c_in_check_is_one_line_exit_130_and_stores_nothing(tmp_path):
    (tmp_path / "relu.py").write_text(ENDLESS_RELU)
    with exercises("check", "relu", "--dir", ".", "--timeout", "100", cwd=tmp_path) as process:
        assert process.stdout.readline().startswith("checking relu")
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
    assert process.returncode == 130 and out == ""
    assert err == "python -m scratchnet.exercises: stopped by Ctrl-C; no result stored\n"
    assert not (tmp_path / RESULTS).exists()


@pytest.mark.parametrize("args", [["list"], ["start", "relu"]], ids=["list", "start"])
def test_ctrl_c_in_list_and_start_is_one_line_and_exit_130(args, tmp_path, monkeypatch, capsys):
    def interrupted(*_, **__):
        raise KeyboardInterrupt

    monkeypatch.setattr(command, "status", interrupted)  # list: at the first result
    monkeypatch.setattr(command, "files", interrupted)  # start: at reading the starter
    assert main([*args, "--dir", str(tmp_path)]) == 130
    captured = capsys.readouterr()
    assert captured.err == "python -m scratchnet.exercises: stopped by Ctrl-C; no result stored\n"
    assert not (tmp_path / "relu.py").exists() and not (tmp_path / RESULTS).exists()


def test_a_pipe_closed_before_list_writes_ends_quietly(tmp_path):
    """The reader closes its end first, so that every run meets the closed pipe."""
    for _ in range(5):
        with exercises("list", cwd=tmp_path) as process:
            process.stdout.close()
            err = process.stderr.read()
        assert err == "" and process.returncode == 141


def test_list_into_head_ends_quietly_twenty_times(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}  # a write a line
    for _ in range(20):
        piped = subprocess.run(
            f"{sys.executable} -m scratchnet.exercises list | head -1",
            shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert piped.stderr == "" and piped.stdout.startswith("scratchnet's exercises")
