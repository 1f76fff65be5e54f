"""How fast scratchnet trains, against scikit-learn, PyTorch and the arithmetic itself.

    python benchmarks/performance.py               # everything; the study takes minutes
    python benchmarks/performance.py --skip-study  # everything but the study
    python benchmarks/performance.py --quick       # few repetitions, no study: a smoke run
    python benchmarks/performance.py --only threads  # one section (or several) alone

What is timed, all in this one process except the two scripts:

* one epoch of the article's workload (4,200 x 2 inputs, 2-16-8-1, full batch, forward +
  loss + backward + Adam step) in scratchnet, in scikit-learn's ``MLPClassifier`` (the
  closest pure-NumPy peer) and, when it is installed, in PyTorch on the CPU;
* two floors: the same epoch's matrix products alone, back to back; and the same epoch
  hand-fused in NumPy (``fused_trainer``), every step inline with no classes and no
  checks, which computes scratchnet's numbers bit for bit: the practical floor of NumPy;
* focal loss forward + backward on 1,000,000 elements;
* one epoch on one BLAS thread and on one per CPU, for the article's network and wider
  ones, on the machine as found and with another process keeping a core busy;
* ``python demo.py`` end to end with its peak resident memory, and the default study;
* where the studies' CPU time goes: the share spent in ``train`` (the epochs) for runs
  of the seed study, with today's evaluation and with the seven scikit-learn calls it
  replaced, and for a sample of the study across data.

Contenders are timed in interleaved repetitions (A B C, A B C, ...) so that a slow spell
of a shared machine hits all of them alike, and only medians and ratios are reported.
Every contender runs its matrix products on one BLAS thread, as ``sn.train`` does (see
``scratchnet/_blas.py``), except in the section that measures threads.
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
from contextlib import contextmanager, nullcontext
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
CPUS = os.cpu_count()
THREAD_PAUSE = 0.2  # seconds after each run in the threads section: see interleaved_runs


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


def fused_trainer(X, y, params, *, focal=False, lr=LEARNING_RATE):
    """The article's training hand-fused in NumPy: run(epochs) trains ``params`` in place
    and returns each epoch's loss, as ``sn.train`` does for the article's network.

    params: the six arrays W1, b1, W2, b2, W3, b3 of a 2-16-8-1 network (the ``.data``
    of ``article_network(...).parameters()``), of X's dtype. Each epoch is one full-batch
    step: Linear, ReLU, Linear, ReLU, Linear, the stable Sigmoid; BCELoss() or, with
    ``focal``, FocalLoss() (alpha 0.25 on every term, gamma 2, clamp 1e-7), mean over the
    batch; backward; Adam(lr, betas (0.9, 0.999), eps 1e-8).

    Every elementwise operation is scratchnet's, on the same operands in the same order,
    so the numbers are the same bit for bit (tests/test_performance.py checks it). What
    is left out is everything around the arithmetic: classes and calls, argument and
    finiteness checks, zero_grad, arrays allocated where one can be overwritten in place
    (x *= a rounds exactly as x * a), constants of y recomputed each epoch, and the first
    layer's input gradient, which no one needs. That makes it the practical floor of
    pure NumPy for this epoch.
    """
    W1, b1, W2, b2, W3, b3 = params
    dtype = X.dtype
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    alpha, gamma, clamp = 0.25, 2.0, 1e-7
    log_floor = max(-100.0, float(np.log(np.finfo(dtype).tiny)))  # as BCELoss's
    ones = np.ones(len(X), dtype)  # bias gradients as ones(N) @ dL_dy, as Linear's
    minus_y, one_minus_y, positive, s = -y, 1 - y, y == 1, 2 * y - 1
    dL_dl = np.array(1.0 / y.size, dtype)  # the mean's gradient for each element
    exp_avg = [np.zeros_like(param) for param in params]
    exp_avg_sq = [np.zeros_like(param) for param in params]
    step_count = 0

    def run(epochs):
        nonlocal step_count
        losses = []
        with np.errstate(divide="ignore"):  # log(0) = -inf is floored, as in BCELoss
            for _ in range(epochs):
                a1 = X @ W1
                a1 += b1
                np.maximum(a1, 0, out=a1)
                a2 = a1 @ W2
                a2 += b2
                np.maximum(a2, 0, out=a2)
                z = a2 @ W3
                z += b3
                e = np.abs(z)  # p = sigma(z) and q = 1 - p = sigma(-z) from e = exp(-|z|)
                np.negative(e, out=e)
                np.exp(e, out=e)
                non_negative = z >= 0
                one_plus_e = 1.0 + e
                p = np.where(non_negative, 1.0, e)
                p /= one_plus_e
                q = np.where(non_negative, e, 1.0)
                q /= one_plus_e
                if focal:
                    p_c = np.clip(p, clamp, 1 - clamp)
                    p_t = np.where(positive, p_c, 1 - p_c)
                    one_minus_p_t = np.where(positive, 1 - p_c, p_c)
                    log_p_t = np.where(positive, np.log(p_c), np.log1p(-p_c))
                    losses.append(float(np.mean(-alpha * one_minus_p_t**gamma * log_p_t)))
                    dl_dp_t = alpha * (
                        gamma * one_minus_p_t ** (gamma - 1) * log_p_t - one_minus_p_t**gamma / p_t
                    )
                    inside_clamp = (p >= clamp) & (p <= 1 - clamp)
                    dL_dp = np.where(inside_clamp, dl_dp_t * s, 0)
                else:
                    log_p = np.log(p)
                    np.maximum(log_p, log_floor, out=log_p)
                    log_1_minus_p = np.negative(p)
                    np.log1p(log_1_minus_p, out=log_1_minus_p)
                    np.maximum(log_1_minus_p, log_floor, out=log_1_minus_p)
                    log_likelihood = y * log_p  # -l, whose mean negated is exactly l's
                    log_likelihood += one_minus_y * log_1_minus_p
                    losses.append(-float(np.mean(log_likelihood)))
                    # A floored log is constant: its term's gradient is 0.
                    dL_dp = np.divide(minus_y, p, out=np.zeros_like(p), where=log_p > log_floor)
                    unfloored = log_1_minus_p > log_floor
                    dL_dp += np.divide(one_minus_y, 1 - p, out=np.zeros_like(p), where=unfloored)
                dL_dp *= dL_dl
                dL_dz = dL_dp  # times sigma'(z) = p q, in place
                dL_dz *= p
                dL_dz *= q
                dL_dW3 = a2.T @ dL_dz
                dL_db3 = ones @ dL_dz
                dL_da2 = dL_dz @ W3.T
                dL_da2 *= a2 > 0
                dL_dW2 = a1.T @ dL_da2
                dL_db2 = ones @ dL_da2
                dL_da1 = dL_da2 @ W2.T
                dL_da1 *= a1 > 0
                dL_dW1 = X.T @ dL_da1
                dL_db1 = ones @ dL_da1
                step_count += 1
                bias_correction1 = 1 - beta1**step_count
                bias_correction2 = 1 - beta2**step_count
                gradients = (dL_dW1, dL_db1, dL_dW2, dL_db2, dL_dW3, dL_db3)
                for param, grad, m, v in zip(params, gradients, exp_avg, exp_avg_sq):
                    v *= beta2
                    v += (1 - beta2) * grad**2
                    m *= beta1
                    m += (1 - beta1) * grad
                    denominator = v / bias_correction2
                    np.sqrt(denominator, out=denominator)
                    denominator += eps
                    update = m / bias_correction1
                    update *= lr
                    update /= denominator
                    param -= update
        return losses

    return run


def fused_numpy(X, y, dtype, *, focal):
    """``fused_trainer`` from scratchnet's initial weights, on one BLAS thread."""
    params = [param.data for param in article_network(0, dtype).parameters()]
    return with_blas_threads(
        1, fused_trainer(X.astype(dtype), y.astype(dtype), params, focal=focal)
    )


def with_blas_threads(threads, run):
    """``run`` with every BLAS library limited to ``threads`` threads while it runs."""

    def limited(epochs):
        with BLAS.limit(limits=threads, user_api="blas"):
            return run(epochs)

    return limited


# --- timing ---


def interleaved_runs(contenders, *, repeats, epochs, pause=0.0):
    """{name: ([seconds per epoch in each repetition], minor page faults per epoch)}.

    Each repetition runs every contender once for ``epochs`` epochs, in turn; one warm-up
    repetition first is not counted. ``pause`` seconds of sleep follow each run, untimed:
    after a multi-threaded product OpenBLAS's idle threads spin for a while, and would
    otherwise slow the contender after it.
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
            time.sleep(pause)
    return {name: (seconds[name], faults[name] / (repeats * epochs)) for name in contenders}


def interleaved_medians(contenders, *, repeats, epochs, pause=0.0):
    """{name: (median seconds per epoch, minor page faults per epoch)}; see interleaved_runs."""
    return medians(interleaved_runs(contenders, repeats=repeats, epochs=epochs, pause=pause))


def medians(runs):
    """interleaved_runs's answer with each list of times replaced by its median."""
    return {name: (statistics.median(seconds), faults) for name, (seconds, faults) in runs.items()}


def paired_ratio(runs, name, baseline):
    """The median and quartiles of name's time over baseline's in the same repetition.

    Pairing by repetition cancels most of a slow spell that hits both; the quartiles
    say how much noise is left.
    """
    ratios = [a / b for a, b in zip(runs[name][0], runs[baseline][0])]
    if len(ratios) == 1:
        return ratios[0], ratios[0], ratios[0]
    first, median, third = statistics.quantiles(ratios, n=4, method="inclusive")
    return median, first, third


def epoch_contenders(X, y):
    """Every epoch contender, by the name it has in the table."""
    contenders = {}
    for dtype in (np.float32, np.float64):
        bits = np.dtype(dtype).itemsize * 8
        contenders[f"floor (matmuls) f{bits}"] = with_blas_threads(1, matmul_floor(X, dtype))
        # Each fused epoch runs right before scratchnet's, the pair its target compares.
        contenders[f"fused NumPy BCE f{bits}"] = fused_numpy(X, y, dtype, focal=False)
        contenders[f"scratchnet BCE f{bits}"] = scratchnet_trainer(X, y, dtype, sn.BCELoss())
        contenders[f"fused NumPy focal f{bits}"] = fused_numpy(X, y, dtype, focal=True)
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


def scratchnet_steps(model, X, y):
    """``sn.train``'s full-batch loop for ``model``, BCE and Adam at lr 0.01, written out
    with the public calls: the same arithmetic without train's one-BLAS-thread limit, so
    that the caller chooses the threads. (The public calls check their arguments, which
    train does once, so this runs a little slower than train.)"""
    loss_fn = sn.BCELoss()
    optimizer = sn.Adam(model.parameters(), lr=LEARNING_RATE)

    def run(epochs):
        for _ in range(epochs):
            loss_fn.forward(model.forward(X), y)
            optimizer.zero_grad()
            model.backward(loss_fn.backward())
            optimizer.step()

    return run


def wide_network(width, dtype=np.float64):
    """2-width-width-1 with ReLU, ReLU, Sigmoid: the article's shape, wider."""
    rng = np.random.default_rng(0)
    return sn.Sequential(
        sn.Linear(2, width, rng=rng, dtype=dtype), sn.ReLU(),
        sn.Linear(width, width, rng=rng, dtype=dtype), sn.ReLU(),
        sn.Linear(width, 1, rng=rng, dtype=dtype), sn.Sigmoid(),
    )  # fmt: skip


def thread_contenders(X, y, width=None):
    """One float64 BCE epoch on one BLAS thread and on one per CPU (OpenBLAS's default),
    for the article's network (``width`` None, with ``sn.train`` as it is beside them) or
    for 2-width-width-1. Each contender trains its own copy of the network."""
    X, y = X.astype(np.float64), y.astype(np.float64)
    contenders = {}
    if width is None:
        contenders["sn.train"] = scratchnet_trainer(X, y, np.float64, sn.BCELoss())
    for threads in dict.fromkeys((1, CPUS)):  # one of each, should there be one CPU
        model = article_network(0) if width is None else wide_network(width)
        name = f"{threads} BLAS thread{'s' if threads > 1 else ''}"
        contenders[name] = with_blas_threads(threads, scratchnet_steps(model, X, y))
    return contenders


SPINNER = """\
import sys, time
end = time.monotonic() + float(sys.argv[1])
print("spinning", flush=True)
while time.monotonic() < end:
    pass
"""


@contextmanager
def one_core_busy(limit_seconds=900):
    """Another process keeps one core busy while the block runs, as a colleague's job
    would: a Python loop at this process's niceness. It is killed when the block ends,
    and stops by itself after ``limit_seconds`` should this process die first."""
    spinner = subprocess.Popen(
        [sys.executable, "-c", SPINNER, str(limit_seconds)], stdout=subprocess.PIPE, text=True
    )
    try:
        spinner.stdout.readline()  # it has started spinning
        yield spinner
    finally:
        spinner.kill()
        spinner.wait()
        spinner.stdout.close()


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
    """The epoch rows with their ratios to MLPClassifier and to the two floors of their dtype
    (the fused epoch of the same loss: focal rows to fused focal, the others to fused BCE)."""
    lines = [
        f"{'one epoch':<36}{'median':>10}{'x MLPClassifier':>17}{'x floor':>9}{'x fused':>9}"
        f"{'faults':>8}",
    ]
    for name, (seconds, faults) in results.items():
        bits = "f32" if "f32" in name else "f64"
        calls = PER_CALL if name.endswith(PER_CALL) else ""
        mlp = results[f"MLPClassifier {bits}{calls}"][0]
        floor = results[f"floor (matmuls) {bits}"][0]
        fused = results[f"fused NumPy {'focal' if 'focal' in name else 'BCE'} {bits}"][0]
        lines.append(
            f"{name:<36}{seconds * 1e6:>8.0f}us{seconds / mlp:>17.2f}{seconds / floor:>9.2f}"
            f"{seconds / fused:>9.2f}{faults:>8.1f}"
        )
    return lines


def target_lines(results):
    """Each target of the issue against MLPClassifier and the matmul floor, with the ratio
    of the medians and whether it holds."""
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


def fused_target_lines(runs):
    """scratchnet's epoch over the fused NumPy epoch of the same loss and dtype, against
    the target of at most 1.05: the median and quartiles of the ratio per repetition."""
    lines = []
    for bits in ("f32", "f64"):
        for loss in ("BCE", "focal"):
            ratio, first, third = paired_ratio(
                runs, f"scratchnet {loss} {bits}", f"fused NumPy {loss} {bits}"
            )
            label = f"scratchnet {loss} {bits} / fused NumPy {loss}"
            lines.append(_target(label, ratio, 1.05, f"quartiles {first:.2f} to {third:.2f}"))
    return lines


def _target(label, ratio, limit, spread=None):
    verdict = "met" if ratio <= limit else "NOT met"
    spread = f"{spread}; " if spread else ""
    return f"  {label:<52}{ratio:>6.2f}  ({spread}target <= {limit}: {verdict})"


def report_epochs(X, y, repeats, epochs):
    runs = interleaved_runs(epoch_contenders(X, y), repeats=repeats, epochs=epochs)
    results = medians(runs)
    print("\n".join(epoch_table(results)))
    print("\ntargets (ratios of medians; to the fused epoch, medians of the paired ratios):")
    print("\n".join(target_lines(results) + fused_target_lines(runs)))


def report_threads(X, y, *, repeats, epochs, widths):
    """One epoch by BLAS threads, on the machine as found and with one core kept busy:
    the numbers that decide where ``sn.train``'s one-thread limit belongs."""
    networks = {"2-16-8-1": (None, epochs, repeats)}
    for width in widths:  # an epoch of these takes long enough to time one at a time
        networks[f"2-{width}-{width}-1"] = (width, 1, min(repeats, 7))
    # "as found": with whatever else the machine runs. Other people's jobs count, so the
    # share of the CPUs that other processes used is printed for each condition.
    conditions = {"as found": nullcontext, "one core busy": one_core_busy}
    runs, others = {}, {}
    for condition, setting in conditions.items():
        before = cpu_seconds()
        with setting():
            for network, (width, network_epochs, network_repeats) in networks.items():
                runs[condition, network] = interleaved_runs(
                    thread_contenders(X, y, width),
                    repeats=network_repeats,
                    epochs=network_epochs,
                    pause=THREAD_PAUSE,
                )
        others[condition] = others_share(before, cpu_seconds())
    shares = ", ".join(
        f"{condition} {share:.0%}" if share is not None else f"{condition} unknown"
        for condition, share in others.items()
    )
    print("\none float64 BCE epoch by BLAS threads, x one thread in the same condition (median")
    print("and quartiles of the paired ratios); the CPUs' time taken by other processes:")
    print(f"{shares}")
    print("\n".join(thread_table(runs, list(conditions), list(networks))))


def thread_table(runs, conditions, networks):
    """One line per network and contender, one column pair per condition."""
    header = "".join(f"{condition:>29}" for condition in conditions)
    lines = [f"  {'':<36}{header}"]
    for network in networks:
        for name in runs[conditions[0], network]:
            cells = ""
            for condition in conditions:
                results = runs[condition, network]
                seconds = statistics.median(results[name][0])
                ratio, first, third = paired_ratio(results, name, "1 BLAS thread")
                cells += f"{_duration(seconds):>10}{ratio:>7.2f} ({first:.2f}-{third:.2f})"
            lines.append(f"  {network + ', ' + name:<36}{cells}")
    return lines


def cpu_seconds():
    """(wall clock, CPU seconds the whole machine spent busy, CPU seconds of this process
    and its finished children); the machine's from Linux's /proc/stat, None elsewhere."""
    own = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    own_seconds = sum(usage.ru_utime + usage.ru_stime for usage in own)
    try:
        ticks = [int(field) for field in Path("/proc/stat").read_text().split()[1:9]]
    except (OSError, ValueError):
        return time.perf_counter(), None, own_seconds
    user, nice, system, idle, iowait, irq, softirq, steal = ticks
    busy = user + nice + system + irq + softirq + steal  # steal: the host ran someone else
    return time.perf_counter(), busy / os.sysconf("SC_CLK_TCK"), own_seconds


def others_share(before, after):
    """The share of all CPUs' time between two cpu_seconds() that other processes used."""
    (wall_before, busy_before, own_before), (wall_after, busy_after, own_after) = before, after
    if busy_before is None:
        return None
    others = (busy_after - busy_before) - (own_after - own_before)
    return max(others, 0.0) / ((wall_after - wall_before) * CPUS)


def _duration(seconds):
    return f"{seconds * 1e3:.1f}ms" if seconds >= 0.01 else f"{seconds * 1e6:.0f}us"


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


@contextmanager
def replaced(module, name, value):
    """``module.name`` is ``value`` inside the block (the benchmark's own instrument)."""
    original = getattr(module, name)
    setattr(module, name, value)
    try:
        yield original
    finally:
        setattr(module, name, original)


@contextmanager
def training_clock():
    """Times every call of ``train`` the article's experiment makes: yields a list whose
    one item is the CPU seconds spent inside them so far."""
    from scratchnet.article import experiment

    spent = [0.0]
    with replaced(experiment, "train", None) as train:

        def timed_train(*args, **kwargs):
            started = time.process_time()
            try:
                return train(*args, **kwargs)
            finally:
                spent[0] += time.process_time() - started

        experiment.train = timed_train
        yield spent


@contextmanager
def scikit_learn_evaluation():
    """The study's evaluation as it was: seven validated scikit-learn calls per report,
    and the threshold chosen from ``precision_recall_curve``."""
    from scratchnet.article import evaluation, experiment, seed_study

    with (
        replaced(experiment, "evaluate", evaluation.evaluate_with_scikit_learn),
        replaced(seed_study, "evaluate", evaluation.evaluate_with_scikit_learn),
        replaced(seed_study, "best_f1_threshold", evaluation.best_f1_threshold_with_scikit_learn),
    ):
        yield


def training_share(run, evaluation=nullcontext):
    """(CPU seconds in train, CPU seconds in all) of ``run()``, in this process."""
    with evaluation(), training_clock() as spent:
        started = time.process_time()
        run()
        return spent[0], time.process_time() - started


def report_study_shares(repeats, seeds):
    """The share of CPU time the studies spend training, before and after the evaluation
    was computed from counts."""
    from scratchnet.article.across_data import grid_task
    from scratchnet.article.grid_data import default_settings
    from scratchnet.article.seed_study import GROUPS, expand_groups, run_study

    setups = expand_groups(GROUPS)

    def seed_study():
        run_study(setups, range(seeds), jobs=1)

    shares = {"scikit-learn's metrics (before)": [], "from counts (now)": []}
    for _ in range(repeats):  # interleaved, so a slow spell hits both
        shares["scikit-learn's metrics (before)"].append(
            training_share(seed_study, scikit_learn_evaluation)
        )
        shares["from counts (now)"].append(training_share(seed_study))
    print(
        f"\nthe seed study's runs ({len(setups)} setups x {seeds} seeds, one process), "
        f"medians of {repeats}: CPU in train / CPU in all"
    )
    for name, pairs in shares.items():
        training, total = (statistics.median(values) for values in zip(*pairs))
        share = f"{training:7.1f}s / {total:6.1f}s = {training / total:.0%}"
        print(f"  evaluation {name:<34}{share}")
    settings = default_settings()

    def grid_sample():
        for setting in settings:
            grid_task(setting, 0, 0)

    training, total = training_share(grid_sample)
    print(
        f"the study across data, data seed 0 and initialisation 0 of its {len(settings)} "
        f"settings: {training:.1f}s / {total:.1f}s = {training / total:.0%} in train"
    )


SECTIONS = ("epochs", "threads", "losses", "memory", "scripts", "study")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="few repetitions and no study; a smoke run"
    )
    parser.add_argument("--skip-study", action="store_true", help="do not time the study")
    parser.add_argument(
        "--only", nargs="+", choices=SECTIONS, default=SECTIONS, help="run only these sections"
    )
    return parser.parse_args(argv)


def blas_description():
    """Each BLAS library loaded, with the CPU kernels it chose (OPENBLAS_CORETYPE can force
    them, so the environment variable is shown when it is set)."""
    libraries = [
        f"{info['internal_api']} {info['version']} ({info.get('architecture', '?')})"
        for info in BLAS.info()
        if info["user_api"] == "blas"
    ]
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    return ", ".join(libraries) + (f", OPENBLAS_CORETYPE={coretype}" if coretype else "")


def main(argv=None):
    args = parse_args(argv)
    repeats, epochs, script_repeats = (3, 5, 1) if args.quick else (25, 20, 3)
    widths = (256,) if args.quick else (256, 1024)
    data = sn.load_article_data()
    X, y = data.X_train, data.y_train
    print(f"scratchnet benchmark: numpy {np.__version__}, {CPUS} CPUs; {blas_description()}")
    print(f"medians of {repeats} interleaved repetitions of {epochs} epochs; faults = minor page")
    print("faults per epoch; one BLAS thread unless a row says otherwise\n")
    if "epochs" in args.only:
        report_epochs(X, y, repeats, epochs)
    if "threads" in args.only:
        report_threads(X, y, repeats=repeats, epochs=epochs, widths=widths)
    if "losses" in args.only:
        report_losses(repeats)
    if "memory" in args.only:
        growth = memory_growth(X, y)
        print(f"\nmemory held after epoch 100 minus after epoch 10 (tracemalloc): {growth} bytes")
    if "scripts" in args.only:
        report_scripts(script_repeats, args.skip_study or args.quick)
    if "study" in args.only:
        report_study_shares(*((1, 2) if args.quick else (3, 10)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
