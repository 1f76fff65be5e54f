"""How fast scratchnet trains, against scikit-learn, PyTorch and the arithmetic itself.

    python benchmarks/performance.py               # everything; the study takes minutes
    python benchmarks/performance.py --skip-study  # everything but the study
    python benchmarks/performance.py --quick       # few repetitions, no study: a smoke run

What is timed, all in this one process except the two scripts:

* one epoch of the article's workload (4,200 x 2 inputs, 2-16-8-1, full batch, forward +
  loss + backward + Adam step) in scratchnet, in scikit-learn's ``MLPClassifier`` (the
  closest pure-NumPy peer) and, when it is installed, in PyTorch on the CPU;
* the floor: the same epoch's matrix products alone, back to back;
* focal loss forward + backward on 1,000,000 elements;
* ``python demo.py`` end to end with its peak resident memory, and the default study.

Contenders are timed in interleaved repetitions (A B C, A B C, ...) so that a slow spell
of a shared machine hits all of them alike, and only medians and ratios are reported.
Every contender runs its matrix products on one BLAS thread, as ``sn.train`` does (see
``scratchnet/_blas.py``); a separate measurement repeats the floor with the default
thread count, to show why.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
from threadpoolctl import ThreadpoolController

import scratchnet as sn
from scratchnet.article.experiment import LEARNING_RATE, article_network

REPOSITORY = Path(__file__).resolve().parent.parent
FOCAL_ELEMENTS = 1_000_000
NEVER = 10**9  # a number of epochs no run here reaches
PER_CALL = ", 1 epoch/call"  # rows whose every call runs one epoch; the others run many
BLAS = ThreadpoolController()


# --- one contender per implementation: each returns run(epochs), which trains that long ---


def scratchnet_trainer(X, y, dtype, loss_fn):
    """scratchnet's ``train``: the article's network, full batch, Adam at lr 0.01."""
    X, y = X.astype(dtype), y.astype(dtype)
    model = article_network(0, dtype)
    optimizer = sn.Adam(model.parameters(), lr=LEARNING_RATE)

    def run(epochs):
        sn.train(model, loss_fn, optimizer, X, y, epochs=epochs)

    return run


def scratchnet_epoch_per_call(X, y, dtype, loss_fn):
    """The same, one epoch per call of ``train``, as ``MLPClassifier.partial_fit`` runs."""
    run = scratchnet_trainer(X, y, dtype, loss_fn)

    def run_one_at_a_time(epochs):
        for _ in range(epochs):
            run(1)

    return run_one_at_a_time


def mlp_classifier(n_samples):
    """scikit-learn's ``MLPClassifier`` set up to do the same work as scratchnet.

    alpha=0 turns off its default L2 penalty, which scratchnet does not have; its output
    layer is logistic with log-loss, i.e. Sigmoid + BCE. It keeps float32 input float32.
    """
    from sklearn.neural_network import MLPClassifier

    return MLPClassifier(
        hidden_layer_sizes=(16, 8),
        activation="relu",
        solver="adam",
        alpha=0.0,
        batch_size=n_samples,
        learning_rate_init=LEARNING_RATE,
        shuffle=False,
        warm_start=True,
        random_state=0,
    )


def mlp_classifier_trainer(X, y, dtype):
    """``MLPClassifier.fit`` running all the epochs asked for in its own loop.

    With warm_start, each fit(X, y) continues from the last weights for max_iter more
    epochs. It stops early once its loss has not improved by tol for n_iter_no_change
    epochs, counting across fits, so n_iter_no_change is set beyond reach, and n_iter_
    is checked: every call must do the epochs asked for. It validates its input once per
    fit, as ``sn.train`` does once per call.
    """
    from sklearn.exceptions import ConvergenceWarning

    X, labels = X.astype(dtype), y.ravel().astype(dtype)
    classifier = mlp_classifier(len(X))

    def run(epochs):
        classifier.set_params(max_iter=epochs, n_iter_no_change=NEVER)
        with warnings.catch_warnings():
            # It warns whenever it stops at max_iter, which here is the point.
            warnings.simplefilter("ignore", ConvergenceWarning)
            classifier.fit(X, labels)
        if classifier.n_iter_ != epochs:
            raise RuntimeError(f"MLPClassifier ran {classifier.n_iter_} of {epochs} epochs")

    return run


def mlp_classifier_epoch_per_call(X, y, dtype):
    """``MLPClassifier.partial_fit``: exactly one epoch per call, validating its input
    each time; its Adam state carries over from call to call."""
    X, labels = X.astype(dtype), y.ravel().astype(dtype)
    classifier = mlp_classifier(len(X))
    classes = np.array([0.0, 1.0], dtype=dtype)

    def run(epochs):
        for _ in range(epochs):
            classifier.partial_fit(X, labels, classes=classes)

    return run


def torch_trainer(X, y, dtype):
    """PyTorch on the CPU, on one thread, with scratchnet's initial weights; None if absent."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)  # the same single thread as everyone else
    torch_dtype = torch.float32 if dtype == np.float32 else torch.float64
    X, y = torch.tensor(X, dtype=torch_dtype), torch.tensor(y, dtype=torch_dtype)
    reference = article_network(0, dtype)
    layers = []
    for module in reference.modules:
        if isinstance(module, sn.Linear):
            linear = torch.nn.Linear(module.in_features, module.out_features, dtype=torch_dtype)
            with torch.no_grad():  # torch stores W as (out, in), scratchnet as (in, out)
                linear.weight.copy_(torch.tensor(module.weight.data.T))
                linear.bias.copy_(torch.tensor(module.bias.data))
            layers.append(linear)
        else:
            layers.append(torch.nn.ReLU() if isinstance(module, sn.ReLU) else torch.nn.Sigmoid())
    model = torch.nn.Sequential(*layers)
    loss_fn = torch.nn.BCELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)

    def run(epochs):
        for _ in range(epochs):
            loss = loss_fn(model(X), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    return run


def matmul_floor(X, dtype):
    """The matrix products of one epoch and nothing else: the arithmetic any implementation
    must do. Forward: three x @ W. Backward: three x.T @ dL_dy for the weights and
    dL_dy @ W.T for the inputs of the second and third layers (the first layer's input
    gradient is not needed; scratchnet computes it anyway, and is charged for it)."""
    rng = np.random.default_rng(0)
    sizes = [X.shape[1], 16, 8, 1]
    weights = [rng.standard_normal((a, b)).astype(dtype) for a, b in zip(sizes, sizes[1:])]
    inputs = [X.astype(dtype)]
    for weight in weights:
        inputs.append(inputs[-1] @ weight)
    grads = [output.copy() for output in inputs[1:]]

    def run(epochs):
        for _ in range(epochs):
            for x, weight in zip(inputs, weights):
                x @ weight
            for x, grad in zip(inputs, grads):
                x.T @ grad
            for grad, weight in zip(grads[1:], weights[1:]):
                grad @ weight.T

    return run


def with_blas_threads(threads, run):
    """``run`` with every BLAS library limited to ``threads`` threads while it runs."""

    def limited(epochs):
        with BLAS.limit(limits=threads, user_api="blas"):
            run(epochs)

    return limited


# --- timing ---


def interleaved_medians(contenders, *, repeats, epochs):
    """{name: (median seconds per epoch, minor page faults per epoch)}.

    Each repetition runs every contender once for ``epochs`` epochs, in turn; one warm-up
    repetition first is not counted.
    """
    seconds = {name: [] for name in contenders}
    faults = dict.fromkeys(contenders, 0)
    for repetition in range(repeats + 1):
        for name, run in contenders.items():
            faults_before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            start = time.perf_counter()
            run(epochs)
            elapsed = time.perf_counter() - start
            if repetition > 0:
                seconds[name].append(elapsed / epochs)
                faults[name] += resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults_before
    return {
        name: (statistics.median(seconds[name]), faults[name] / (repeats * epochs))
        for name in contenders
    }


def epoch_contenders(X, y):
    """Every epoch contender, by the name it has in the table."""
    contenders = {}
    for dtype in (np.float32, np.float64):
        bits = np.dtype(dtype).itemsize * 8
        contenders[f"floor (matmuls) f{bits}"] = with_blas_threads(1, matmul_floor(X, dtype))
        contenders[f"scratchnet BCE f{bits}"] = scratchnet_trainer(X, y, dtype, sn.BCELoss())
        contenders[f"scratchnet focal f{bits}"] = scratchnet_trainer(X, y, dtype, sn.FocalLoss())
        contenders[f"MLPClassifier f{bits}"] = with_blas_threads(
            1, mlp_classifier_trainer(X, y, dtype)
        )
        torch_run = torch_trainer(X, y, dtype)
        if torch_run is not None:
            contenders[f"PyTorch BCE f{bits}"] = torch_run
        contenders[f"scratchnet BCE f{bits}{PER_CALL}"] = scratchnet_epoch_per_call(
            X, y, dtype, sn.BCELoss()
        )
        contenders[f"MLPClassifier f{bits}{PER_CALL}"] = with_blas_threads(
            1, mlp_classifier_epoch_per_call(X, y, dtype)
        )
    return contenders


def thread_contenders(X):
    """The float64 floor on one BLAS thread and on one per CPU, the default.

    Timed apart from the rest: after a multi-threaded product, OpenBLAS's idle threads
    keep spinning for a while and would slow whatever runs next.
    """
    return {
        f"{threads} BLAS thread(s)": with_blas_threads(threads, matmul_floor(X, np.float64))
        for threads in (1, os.cpu_count())
    }


def focal_loss_contenders(size, dtype):
    """Focal loss forward + backward on ``size`` elements, BCE the same, and one np.log."""
    rng = np.random.default_rng(0)
    p = rng.uniform(0.0, 1.0, size=(size, 1)).astype(dtype)
    y = (rng.uniform(size=(size, 1)) < 0.01).astype(dtype)

    def forward_backward(loss_fn):
        def run(repeats):
            for _ in range(repeats):
                loss_fn(p, y)
                loss_fn.backward()

        return run

    def one_log(repeats):
        for _ in range(repeats):
            np.log(p)

    return {
        "focal forward + backward": forward_backward(sn.FocalLoss()),
        "BCE forward + backward": forward_backward(sn.BCELoss()),
        "one np.log over p": one_log,
    }


def time_script(arguments, repeats):
    """Median wall-clock seconds of ``python arguments...`` from the repository root."""
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        finished = subprocess.run(
            [sys.executable, *arguments],
            cwd=REPOSITORY,
            capture_output=True,  # the scripts' reports and progress are not ours to print
            text=True,
            env={**os.environ, "MPLBACKEND": "Agg"},
        )
        seconds.append(time.perf_counter() - start)
        if finished.returncode != 0:
            raise RuntimeError(f"python {' '.join(arguments)} failed:\n{finished.stderr}")
    return statistics.median(seconds)


def peak_memory_mib(arguments):
    """Peak resident memory of ``python arguments...``, in MiB, on Linux.

    The script reads it (VmHWM) from its own /proc/self/status as it exits, through a
    wrapper: getrusage's ru_maxrss for a child also counts this process's memory, which
    the child is forked from before it runs python.
    """
    wrapper = (
        "import runpy, sys\n"
        f"sys.argv = {arguments!r}\n"
        "try:\n"
        "    runpy.run_path(sys.argv[0], run_name='__main__')\n"
        "finally:\n"
        "    status = open('/proc/self/status').read()\n"
        "    print(int(status.split('VmHWM:')[1].split()[0]) // 1024, file=sys.stderr)\n"
    )
    finished = subprocess.run(
        [sys.executable, "-c", wrapper],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    if finished.returncode != 0:
        # The wrapper prints the peak even then, so the last word would still parse.
        raise RuntimeError(f"python {' '.join(arguments)} failed:\n{finished.stderr}")
    return int(finished.stderr.split()[-1])


def memory_growth(X, y, *, early=10, late=100):
    """Bytes held by Python (tracemalloc) after epoch ``late`` minus after epoch ``early``."""
    run = scratchnet_trainer(X, y, np.float64, sn.FocalLoss())
    tracemalloc.start()
    run(early)
    held_early = tracemalloc.get_traced_memory()[0]
    run(late - early)
    held_late = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return held_late - held_early


# --- the report ---


def epoch_table(results):
    """The epoch rows with their ratios to MLPClassifier and to the floor of their dtype."""
    lines = [
        f"{'one epoch':<36}{'median':>10}{'x MLPClassifier':>17}{'x floor':>9}{'faults':>8}",
    ]
    for name, (seconds, faults) in results.items():
        bits = "f32" if "f32" in name else "f64"
        calls = PER_CALL if name.endswith(PER_CALL) else ""
        mlp = results[f"MLPClassifier {bits}{calls}"][0]
        floor = results[f"floor (matmuls) {bits}"][0]
        lines.append(
            f"{name:<36}{seconds * 1e6:>8.0f}us{seconds / mlp:>17.2f}{seconds / floor:>9.2f}"
            f"{faults:>8.1f}"
        )
    return lines


def target_lines(results):
    """Each target of the issue with the ratio measured and whether it holds."""
    lines = []
    for bits in ("f32", "f64"):
        mlp = results[f"MLPClassifier {bits}"][0]
        floor = results[f"floor (matmuls) {bits}"][0]
        for loss in ("BCE", "focal"):
            epoch = results[f"scratchnet {loss} {bits}"][0]
            lines.append(_target(f"scratchnet {loss} {bits} / MLPClassifier", epoch / mlp, 0.5))
            lines.append(_target(f"scratchnet {loss} {bits} / floor", epoch / floor, 4.0))
        epoch, mlp = (
            results[f"{name} {bits}{PER_CALL}"][0] for name in ("scratchnet BCE", "MLPClassifier")
        )
        label = f"scratchnet BCE {bits} / MLPClassifier{PER_CALL} each"
        lines.append(_target(label, epoch / mlp, 0.5))
    for loss in ("BCE", "focal"):
        f64, f32 = (results[f"scratchnet {loss} {bits}"][0] for bits in ("f64", "f32"))
        lines.append(_target(f"scratchnet {loss} f64 / f32", f64 / f32, 1.5))
    return lines


def _target(label, ratio, limit):
    verdict = "met" if ratio <= limit else "NOT met"
    return f"  {label:<52}{ratio:>6.2f}  (target <= {limit}: {verdict})"


def report_epochs(X, y, repeats, epochs):
    results = interleaved_medians(epoch_contenders(X, y), repeats=repeats, epochs=epochs)
    print("\n".join(epoch_table(results)))
    print("\ntargets:")
    print("\n".join(target_lines(results)))


def report_threads(X, repeats, epochs):
    results = interleaved_medians(thread_contenders(X), repeats=repeats, epochs=epochs)
    one_thread = results["1 BLAS thread(s)"][0]
    print("\nthe float64 floor by BLAS threads, x one thread:")
    for name, (seconds, _) in results.items():
        print(f"  {name:<20}{seconds * 1e6:>8.0f}us{seconds / one_thread:>7.2f}")


def report_losses(repeats):
    print(f"\nloss on {FOCAL_ELEMENTS:,} elements, x one np.log over them:")
    for dtype in (np.float32, np.float64):
        contenders = focal_loss_contenders(FOCAL_ELEMENTS, dtype)
        results = interleaved_medians(contenders, repeats=repeats, epochs=3)
        one_log = results["one np.log over p"][0]
        for name, (seconds, _) in results.items():
            name = f"{name}, {np.dtype(dtype).name}"
            print(f"  {name:<36}{seconds * 1e3:>7.1f}ms{seconds / one_log:>7.2f}")


def report_scripts(repeats, skip_study):
    """demo.py's time against its imports alone, its peak memory, and the study's time.

    The study (``python study.py``, every group over 200 seeds) is timed once, if this
    checkout has it.
    """
    with tempfile.TemporaryDirectory() as out:
        demo = time_script(["demo.py", "--out", out], repeats)
        peak_mib = peak_memory_mib(["demo.py", "--out", out])
    imports = time_script(["-c", "import scratchnet, sklearn, matplotlib.pyplot"], repeats)
    print(f"\npython demo.py: {demo:.2f}s, {demo / imports:.1f}x its imports alone", end="")
    print(f" ({imports:.2f}s)")
    print(f"peak resident memory of python demo.py: {peak_mib} MiB")
    if skip_study:
        print("python study.py: skipped (--skip-study or --quick)")
    elif not (REPOSITORY / "study.py").exists():
        print("python study.py: not in this checkout")
    else:
        with tempfile.TemporaryDirectory() as out:
            study = time_script(["study.py", "--out", out], 1)
        print(f"python study.py: {study:.0f}s, {study / demo:.0f}x python demo.py")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="few repetitions and no study; a smoke run"
    )
    parser.add_argument("--skip-study", action="store_true", help="do not time the study")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    repeats, epochs, script_repeats = (3, 5, 1) if args.quick else (25, 20, 3)
    data = sn.load_article_data()
    X, y = data.X_train, data.y_train
    print(f"scratchnet benchmark: numpy {np.__version__}, {os.cpu_count()} CPUs; medians of")
    print(f"{repeats} interleaved repetitions of {epochs} epochs; faults = minor page faults")
    print("per epoch; one BLAS thread unless a row says otherwise\n")
    report_epochs(X, y, repeats, epochs)
    report_threads(X, repeats, epochs)
    report_losses(repeats)
    growth = memory_growth(X, y)
    print(f"\nmemory held after epoch 100 minus after epoch 10 (tracemalloc): {growth} bytes")
    report_scripts(script_repeats, args.skip_study or args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
