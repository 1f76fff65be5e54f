"""The data sets of the study across data: a grid of synthetic data, the article's, and real data.

    setting = synthetic(positive_share=0.01, class_sep=1.5)
    data = make_data(setting, data_seed=3)        # new data and a new stratified split

Every data set is rebuilt from (setting, data seed) alone, with these random states, so
that an independent implementation can rebuild each one:

* synthetic: ``make_classification(n_samples, n_features=2, n_redundant=0,
  n_clusters_per_class=1, weights=[1 - share], class_sep, flip_y, random_state=42 + d)``,
  then ``train_test_split(X, y, test_size=0.3, stratify=y, random_state=42 + d)``, for
  data seed d. Features as drawn, as in the article.
* the article's: the same with its own settings (6,000 samples, 99:1, class_sep 1.5,
  flip_y 0.01); data seed 0 draws exactly the article's X and y (random_state 42),
  split with stratification.
* real (scikit-learn's ``load_digits``, one digit against the rest; ``load_breast_cancer``,
  malignant against benign): positives subsampled to the setting's share, if it has
  one, by ``numpy.random.default_rng(42 + d).choice(positives, k, replace=False)``
  (positives: their indices in the loaded order; every negative is kept), then the same
  stratified split, then standardised with a ``StandardScaler`` fitted on the training
  split.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

FIRST_RANDOM_STATE = 42  # data seed d uses random_state 42 + d: seed 0 is the article's
TEST_SIZE = 0.3
FEWEST_SAMPLES = 6000
FEWEST_TEST_POSITIVES = 50  # expected, in each synthetic cell
IMBALANCES = (0.10, 0.03, 0.01, 0.005)  # the share of positives: 90:10 to 99.5:0.5
SEPARATIONS = (0.5, 1.0, 1.5, 2.0)  # make_classification's class_sep
EXTREME_IMBALANCE = 0.001  # 99.9:0.1, about 170,000 samples a cell: a flag, for a cluster
DIGIT = 8  # the digit told apart from the other nine


@dataclass(frozen=True)
class DataSetting:
    """How one cell's data sets are made; each data seed then draws one.

    source: "synthetic", "digits" or "breast cancer". positive_share: synthetic, the
    share make_classification is asked for; real, the share positives are subsampled
    to (None: as loaded). class_sep, flip_y, n_samples: synthetic only.
    """

    name: str
    source: str
    positive_share: float | None
    class_sep: float | None = None
    flip_y: float = 0.0
    n_samples: int | None = None

    @property
    def is_grid_cell(self) -> bool:
        """A cell of the synthetic grid, imbalance x separation, with flip_y = 0."""
        return self.source == "synthetic" and self.flip_y == 0


def synthetic(positive_share: float, class_sep: float) -> DataSetting:
    """A grid cell: flip_y = 0, and enough samples for 50 test positives, 6,000 at least."""
    n_samples = max(FEWEST_SAMPLES, math.ceil(FEWEST_TEST_POSITIVES / (TEST_SIZE * positive_share)))
    ratio = f"{100 * (1 - positive_share):g}:{100 * positive_share:g}"
    return DataSetting(
        f"{ratio}, separation {class_sep:g}",
        "synthetic",
        positive_share,
        class_sep=class_sep,
        n_samples=n_samples,
    )


ARTICLE_DATA = DataSetting(
    "the article's data (99:1, separation 1.5, flip_y 0.01)",
    "synthetic",
    0.01,
    class_sep=1.5,
    flip_y=0.01,
    n_samples=6000,
)
REAL_DATA = (
    DataSetting(f"digits, {DIGIT} against the rest (~10%)", "digits", None),
    DataSetting(f"digits, {DIGIT} against the rest, subsampled to 3%", "digits", 0.03),
    DataSetting("breast cancer, malignant subsampled to 10%", "breast cancer", 0.10),
    DataSetting("breast cancer, malignant subsampled to 5%", "breast cancer", 0.05),
)


def grid_settings(imbalances=IMBALANCES, separations=SEPARATIONS) -> list[DataSetting]:
    """The synthetic cells, by imbalance (rows) then separation."""
    return [synthetic(share, sep) for share in imbalances for sep in separations]


def default_settings(extreme: bool = False) -> list[DataSetting]:
    """The default study: the grid (with the 99.9:0.1 row if ``extreme``), the article's
    data, and the real data sets."""
    imbalances = IMBALANCES + ((EXTREME_IMBALANCE,) if extreme else ())
    return [*grid_settings(imbalances), ARTICLE_DATA, *REAL_DATA]


@dataclass(frozen=True)
class SplitData:
    """One data set, split. X_train (N, d), y_train (N, 1), X_test (M, d), y_test (M, 1),
    float64; labels 0.0 or 1.0. positive_share: of all N + M samples."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    positive_share: float

    @property
    def negatives_per_positive(self) -> float:
        """Of the training split: the weight that gives the two classes equal total weight."""
        positives = float(self.y_train.sum())
        return (self.y_train.size - positives) / positives


@functools.lru_cache(maxsize=4)
def make_data(setting: DataSetting, data_seed: int) -> SplitData:
    """The data set of ``setting`` for ``data_seed`` (see the module docstring), built
    once per process for the runs that share it. The arrays are shared: do not modify."""
    # Imported here: a worker that never builds data does not pay for them.
    from sklearn.datasets import load_breast_cancer, load_digits, make_classification
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    random_state = FIRST_RANDOM_STATE + data_seed
    if setting.source == "synthetic":
        X, y = make_classification(
            n_samples=setting.n_samples,
            n_features=2,
            n_redundant=0,
            n_clusters_per_class=1,
            weights=[1 - setting.positive_share],
            class_sep=setting.class_sep,
            flip_y=setting.flip_y,
            random_state=random_state,
        )
    else:
        if setting.source == "digits":
            X, digit = load_digits(return_X_y=True)
            y = (digit == DIGIT).astype(int)
        else:
            X, benign = load_breast_cancer(return_X_y=True)
            y = 1 - benign  # scikit-learn codes malignant as 0
        X, y = _subsampled(X, y, setting.positive_share, random_state)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=TEST_SIZE, stratify=y, random_state=random_state
    )
    if setting.source != "synthetic":
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

    def column(labels):
        return labels.reshape(-1, 1).astype(np.float64)

    return SplitData(
        X_train.astype(np.float64),
        column(y_train),
        X_test.astype(np.float64),
        column(y_test),
        positive_share=float(np.mean(y)),
    )


def _subsampled(X, y, positive_share, random_state):
    """Every negative, and k positives drawn without replacement, k = round(share *
    negatives / (1 - share)); all the data if ``positive_share`` is None."""
    if positive_share is None:
        return X, y
    negatives, positives = np.flatnonzero(y == 0), np.flatnonzero(y == 1)
    k = round(positive_share * negatives.size / (1 - positive_share))
    kept = np.random.default_rng(random_state).choice(positives, k, replace=False)
    chosen = np.sort(np.concatenate([negatives, kept]))
    return X[chosen], y[chosen]
