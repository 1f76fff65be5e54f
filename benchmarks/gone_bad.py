"""The loss curves behind ``has_gone_bad``'s thresholds: runs healthy, noisy and gone bad.

    python benchmarks/gone_bad.py            # the runs the thresholds were chosen on
    python benchmarks/gone_bad.py --held-out # data sets they were not chosen on

Each line: the first loss, the lowest and its epoch, the last, the last over the lowest,
the highest over the first, the share of the way from the lowest back up to the first
that the run climbed again, and whether ``has_gone_bad`` (or ``has_diverged``) says so
(or ``has_collapsed``).
Full batch (bs None) and mini-batches of 32, scikit-learn's data scaled, 300 epochs of
sn.MLPClassifier's Adam at the settings the rules were chosen with (``MEASURED_WITH``,
its defaults then), each line from its ``loss_curve_``, the curve its warnings judge;
the article's data and network with BCE and focal loss.
"""

import sys
import warnings

import numpy as np
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    load_iris,
    load_wine,
    make_circles,
    make_moons,
)
from sklearn.preprocessing import StandardScaler

import scratchnet as sn
from scratchnet.article.experiment import article_network
from scratchnet.training import has_collapsed, has_diverged, has_gone_bad


def line(name: str, history) -> str:
    h = np.asarray(history)
    low = int(np.argmin(h))
    share = (h[-1] - h[low]) / (h[0] - h[low]) if h[0] > h[low] else float("inf")
    verdict = "collapsed" if has_collapsed(h) else "quiet"
    verdict = "WARNS" if has_gone_bad(h) or has_diverged(h) else verdict
    return (
        f"{name:34s} first {h[0]:9.3g}  lowest {h[low]:9.3g} at {low + 1:3d}  last "
        f"{h[-1]:9.3g}  last/lowest {h[-1] / h[low]:8.3g}  highest/first {h.max() / h[0]:8.3g}"
        f"  back up {share:8.3g}  {verdict}"
    )


def binary(loader, **kwargs):
    X, y = loader(**kwargs) if kwargs else loader(return_X_y=True)
    return StandardScaler().fit_transform(X), (y == 1).astype(int)


# The estimator's defaults when the rules were chosen, pinned so that these runs stay
# those docs/tour.md quotes: the 2-16-8-1 network, alpha 0.1, every one of 300 epochs.
MEASURED_WITH = {"hidden_layer_sizes": (16, 8), "alpha": 0.1, "max_iter": 300, "tol": None}


def estimator_runs(data_sets, rates):
    for name, (X, y) in data_sets.items():
        for batch_size in (None, 32):
            for lr in rates:
                model = sn.MLPClassifier(learning_rate_init=lr, batch_size=batch_size,
                                         random_state=0, **MEASURED_WITH).fit(X, y)  # fmt: skip
                print(line(f"{name} lr={lr} bs={batch_size}", model.loss_curve_))


def article_runs():
    data = sn.load_article_data()
    for loss_name, loss in (("bce", sn.BCELoss), ("focal", sn.FocalLoss)):
        for batch_size, epochs in ((None, 30), (None, 300), (256, 30), (32, 30)):
            for lr in (0.01, 0.1, 1.0):
                model = article_network(rng=0)
                history = sn.train(model, loss(), sn.Adam(model.parameters(), lr=lr),
                                   data.X_train, data.y_train, epochs=epochs,
                                   batch_size=batch_size, rng=0)  # fmt: skip
                print(line(f"article {loss_name} lr={lr} bs={batch_size} ep={epochs}", history))


def main(argv) -> None:
    warnings.simplefilter("ignore")  # the verdict column says what would have warned
    if "--held-out" in argv:
        estimator_runs(
            {
                "iris (versicolor)": binary(load_iris),
                "moons": binary(make_moons, n_samples=500, noise=0.3, random_state=0),
                "circles": binary(make_circles, n_samples=500, noise=0.1, factor=0.5,
                                  random_state=0),
            },
            (0.01, 0.03, 0.3, 1, 10, 30),
        )  # fmt: skip
        return
    cancer = {"cancer": binary(load_breast_cancer)}
    estimator_runs(cancer, (0.001, 0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30))
    others = {"wine": binary(load_wine), "digits": binary(load_digits)}
    estimator_runs(others, (0.01, 0.03, 0.3, 10))
    article_runs()


if __name__ == "__main__":
    main(sys.argv[1:])
