"""The article's data set: 6,000 points in 2-D, 99:1 imbalanced, split 70/30."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scratchnet.doors.values import require_float_dtype


@dataclass(frozen=True)
class ArticleData:
    """The article's data and its train/test split.

    X (6000, 2), y (6000, 1): every sample, in make_classification's order.
    X_train (4200, 2), y_train (4200, 1): 60 positives.
    X_test (1800, 2), y_test (1800, 1): 28 positives, so predicting "always negative"
        already scores 1772 / 1800 = 98.44% accuracy on it.
    Labels are 0.0 or 1.0, in the same floating dtype as X.
    """

    X: np.ndarray
    y: np.ndarray
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray


def load_article_data(dtype=np.float64) -> ArticleData:
    """Build the article's data set and split, exactly; identical at every call.

        X, y = make_classification(n_samples=6000, n_features=2, n_redundant=0,
                                   n_clusters_per_class=1, weights=[0.99, 0.01],
                                   class_sep=1.5, random_state=42)
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3,
                                                            random_state=42)

    then X is converted to ``dtype`` (float32 or float64) and y to a column of it,
    shape (N, 1), as the article's ``unsqueeze(1)`` does. Both are seeded, so no global
    random state is touched. Each call returns new arrays, which the caller may modify.
    """
    dtype = require_float_dtype(dtype)
    # Imported here so that `import scratchnet` does not pay for loading scikit-learn.
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    X, labels = make_classification(
        n_samples=6000,
        n_features=2,
        n_redundant=0,
        n_clusters_per_class=1,
        weights=[0.99, 0.01],
        class_sep=1.5,
        random_state=42,
    )
    X_train, X_test, labels_train, labels_test = train_test_split(
        X, labels, test_size=0.3, random_state=42
    )

    def as_column(integer_labels: np.ndarray) -> np.ndarray:
        return integer_labels.reshape(-1, 1).astype(dtype)

    return ArticleData(
        X=X.astype(dtype),
        y=as_column(labels),
        X_train=X_train.astype(dtype),
        X_test=X_test.astype(dtype),
        y_train=as_column(labels_train),
        y_test=as_column(labels_test),
    )
