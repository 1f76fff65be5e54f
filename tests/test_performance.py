"""The faster forms equal the plain formulas, train runs on one BLAS thread, and the
benchmark's pieces run. No timing is asserted: the benchmark prints, these prove."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import scratchnet as sn

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "performance.py"


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
    spec = importlib.util.spec_from_file_location("performance", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_benchmark_pieces_run_on_tiny_sizes(performance_script):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 2))
    y = (np.arange(40) % 4 == 0).astype(float).reshape(-1, 1)
    results = performance_script.interleaved_medians(
        performance_script.epoch_contenders(X, y), repeats=1, epochs=2
    )
    assert {"scratchnet focal f32", "MLPClassifier f64", "floor (matmuls) f64"} <= set(results)
    assert len(performance_script.epoch_table(results)) == len(results) + 1
    assert len(performance_script.target_lines(results)) == 12
    threads = performance_script.interleaved_medians(
        performance_script.thread_contenders(X), repeats=1, epochs=1
    )
    assert "1 BLAS thread(s)" in threads
    losses = performance_script.focal_loss_contenders(100, np.float32)
    assert len(performance_script.interleaved_medians(losses, repeats=1, epochs=1)) == 3
    assert isinstance(performance_script.memory_growth(X, y, early=1, late=2), int)


def test_peak_memory_reads_the_scripts_own_peak_and_refuses_a_failed_run(
    performance_script, tmp_path
):
    script = tmp_path / "exits.py"
    script.write_text("import sys\nsys.exit(int(sys.argv[1]))\n")
    assert performance_script.peak_memory_mib([str(script), "0"]) > 0
    with pytest.raises(RuntimeError, match=r"exits\.py 3 failed"):
        performance_script.peak_memory_mib([str(script), "3"])
