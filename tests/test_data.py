"""load_article_data() rebuilds the article's data set and split exactly."""

import dataclasses

import numpy as np
import pytest

import scratchnet as sn


@pytest.fixture(scope="module")
def data():
    return sn.load_article_data()


def test_split_has_4200_training_and_1800_test_samples_of_2_features(data):
    assert data.X.shape == (6000, 2)
    assert data.X_train.shape == (4200, 2)
    assert data.X_test.shape == (1800, 2)


def test_labels_are_zero_one_columns_with_60_and_28_positives(data):
    assert data.y.shape == (6000, 1)
    assert data.y_train.shape == (4200, 1)
    assert data.y_test.shape == (1800, 1)
    for labels in (data.y, data.y_train, data.y_test):
        assert set(np.unique(labels)) == {0.0, 1.0}
    assert data.y_train.sum() == 60
    assert data.y_test.sum() == 28
    assert data.y.sum() == 88


def test_train_and_test_partition_the_full_data_set(data):
    # Every sample lands in exactly one half, with its own label.
    def rows(X, y):
        return sorted(map(tuple, np.hstack([X, y])))

    split = rows(np.vstack([data.X_train, data.X_test]), np.vstack([data.y_train, data.y_test]))
    assert split == rows(data.X, data.y)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_honoured_for_features_and_labels(dtype):
    data = sn.load_article_data(dtype=dtype)
    for field in dataclasses.fields(data):
        assert getattr(data, field.name).dtype == dtype


def test_float32_data_is_the_float64_data_rounded(data):
    np.testing.assert_array_equal(
        sn.load_article_data(dtype=np.float32).X_train, data.X_train.astype(np.float32)
    )


def test_every_call_returns_identical_data_in_new_arrays(data):
    again = sn.load_article_data()
    for field in dataclasses.fields(data):
        first, second = getattr(data, field.name), getattr(again, field.name)
        np.testing.assert_array_equal(first, second)
        assert not np.shares_memory(first, second)


def test_the_data_set_is_frozen(data):
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.X_train = data.X_test
