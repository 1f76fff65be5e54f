"""The faster forms equal the plain formulas, train runs on one BLAS thread, and the
benchmark's pieces run. No timing is asserted: the benchmark prints, these prove."""

import numpy as np
import pytest
from helpers import load_benchmark
from threadpoolctl import threadpool_info

import scratchnet as sn
from scratchnet.article.experiment import LEARNING_RATE, article_network


def _blas_thread_counts():
    return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]


@pytest.mark.parametrize(("dtype", "rtol"), [(np.float64, 1e-13), (np.float32, 1e-5)])
def test_linear_bias_gradient_equals_the_sum_over_the_batch(dtype, rtol):
    # Linear.backward computes dL_db as ones(N) @ dL_dy; the formula is dL_dy.sum(axis=0).
    rng = np.random.default_rng(0)
    layer = sn.Linear(3, 16, rng=rng, dtype=dtype)
    layer.forward(rng.standard_normal((4200, 3)).astype(dtype))
    dL_dy = rng.standard_normal((4200, 16)).astype(dtype)
    layer.backward(dL_dy)
    assert layer.bias.grad.dtype == dtype
    np.testing.assert_allclose(layer.bias.grad, dL_dy.sum(axis=0, dtype=np.float64), rtol=rtol)


def test_relu_backward_equals_the_gradient_passed_where_active_and_zero_elsewhere():
    rng = np.random.default_rng(1)
    relu = sn.ReLU()
    x = rng.standard_normal((500, 8))
    x[0, :3] = 0.0  # the kink: relu'(0) = 0
    relu.forward(x)
    dL_dy = rng.standard_normal((500, 8))
    np.testing.assert_array_equal(relu.backward(dL_dy), np.where(x > 0, dL_dy, 0.0))


class _BlasThreadSpy(sn.BCELoss):
    """BCE that records how many threads each BLAS library had during its forward."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, p, y):
        self.seen.append(_blas_thread_counts())
        return super().forward(p, y)


def test_train_runs_on_one_blas_thread_and_restores_the_setting():
    before = _blas_thread_counts()
    rng = np.random.default_rng(2)
    model = sn.Sequential(sn.Linear(2, 1, rng=rng), sn.Sigmoid())
    loss_fn = _BlasThreadSpy()
    X, y = rng.standard_normal((16, 2)), (rng.uniform(size=(16, 1)) < 0.5).astype(float)
    sn.train(model, loss_fn, sn.Adam(model.parameters()), X, y, epochs=2)
    assert loss_fn.seen == [[1] * len(before)] * 2
    assert _blas_thread_counts() == before


@pytest.fixture(scope="module")
def performance_script():
    return load_benchmark("performance")


def test_benchmark_pieces_run_on_tiny_sizes(performance_script):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 2))
    y = (np.arange(40) % 4 == 0).astype(float).reshape(-1, 1)
    runs = performance_script.interleaved_runs(
        performance_script.epoch_contenders(X, y), repeats=2, epochs=2
    )
    assert {"scratchnet focal f32", "MLPClassifier f64", "fused NumPy focal f64"} <= set(runs)
    assert all(len(seconds) == 2 for seconds, _ in runs.values())
    results = performance_script.interleaved_medians(
        performance_script.epoch_contenders(X, y), repeats=1, epochs=2
    )
    assert results.keys() == runs.keys()
    assert len(performance_script.epoch_table(results)) == len(results) + 1
    assert len(performance_script.target_lines(results)) == 12
    fused_lines = performance_script.fused_target_lines(runs)
    assert len(fused_lines) == 4 and all("target <= 1.05" in line for line in fused_lines)
    losses = performance_script.focal_loss_contenders(100, np.float32)
    assert len(performance_script.interleaved_medians(losses, repeats=1, epochs=1)) == 3
    assert isinstance(performance_script.memory_growth(X, y, early=1, late=2), int)


def test_paired_ratio_takes_the_median_and_quartiles_of_the_ratios_per_repetition(
    performance_script,
):
    runs = {"a": ([2.0, 3.0, 8.0, 5.0, 1.0], 0.0), "b": ([1.0, 1.0, 2.0, 1.0, 1.0], 0.0)}
    # ratios 2, 3, 4, 5, 1: median 3, quartiles 2 and 4 (inclusive method)
    assert performance_script.paired_ratio(runs, "a", "b") == (3.0, 2.0, 4.0)


@pytest.fixture(scope="module")
def article_data():
    return sn.load_article_data()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("focal", [False, True], ids=["BCE", "focal"])
def test_fused_epoch_computes_scratchnets_numbers_bit_for_bit(
    performance_script, article_data, dtype, focal
):
    # Bit for bit, not to a tolerance: the fused epoch does scratchnet's operations on the
    # same operands in the same order, only in place (x *= a rounds exactly as x * a) and
    # with y's constants computed once. So a difference means it no longer computes what
    # scratchnet computes: one of the two changed its arithmetic.
    X, y = article_data.X_train.astype(dtype), article_data.y_train.astype(dtype)
    model, fused_model = article_network(0, dtype), article_network(0, dtype)
    loss_fn = sn.FocalLoss() if focal else sn.BCELoss()
    optimizer = sn.Adam(model.parameters(), lr=LEARNING_RATE)
    history = sn.train(model, loss_fn, optimizer, X, y, epochs=4)
    params = [param.data for param in fused_model.parameters()]
    fused = performance_script.fused_trainer(X, y, params, focal=focal)
    fused_history = performance_script.with_blas_threads(1, fused)(4)  # as train: one thread
    assert fused_history == history
    for (name, param), fused_param in zip(model.named_parameters(), params):
        assert fused_param.dtype == dtype
        np.testing.assert_array_equal(fused_param, param.data, err_msg=name)


def test_threads_report_times_each_network_as_found_and_with_a_core_busy(
    performance_script, monkeypatch, capsys
):
    monkeypatch.setattr(performance_script, "THREAD_PAUSE", 0.0)
    rng = np.random.default_rng(4)
    X = rng.standard_normal((40, 2))
    y = (np.arange(40) % 4 == 0).astype(float).reshape(-1, 1)
    performance_script.report_threads(X, y, repeats=1, epochs=1, widths=(4,))
    out = capsys.readouterr().out
    assert "as found" in out and "one core busy" in out
    rows = [line.split(",")[0].strip() for line in out.splitlines() if line.startswith("  2-")]
    thread_counts = len({1, performance_script.CPUS})  # sn.train adds one to the article's
    assert rows == ["2-16-8-1"] * (1 + thread_counts) + ["2-4-4-1"] * thread_counts


def test_others_share_is_the_busy_cpu_time_not_spent_by_this_process(performance_script):
    # 1.5 CPU seconds busy in 1 s of wall clock, 0.5 of them this process's own: the other
    # processes used 1 CPU second of the CPUS available in that second.
    before, after = (10.0, 100.0, 3.0), (11.0, 101.5, 3.5)
    share = performance_script.others_share(before, after)
    assert share == pytest.approx(1.0 / performance_script.CPUS)
    assert performance_script.others_share((10.0, None, 3.0), (11.0, None, 3.5)) is None
    wall, busy, own = performance_script.cpu_seconds()
    assert own > 0 and (busy is None or busy > 0)


def test_one_core_busy_spins_until_the_block_ends(performance_script):
    with performance_script.one_core_busy(limit_seconds=60) as spinner:
        assert spinner.poll() is None  # still spinning
    assert spinner.poll() is not None


def test_peak_memory_reads_the_scripts_own_peak_and_refuses_a_failed_run(
    performance_script, tmp_path
):
    script = tmp_path / "exits.py"
    script.write_text("import sys\nsys.exit(int(sys.argv[1]))\n")
    assert performance_script.peak_memory_mib([str(script), "0"]) > 0
    with pytest.raises(RuntimeError, match=r"exits\.py 3 failed"):
        performance_script.peak_memory_mib([str(script), "3"])
