"""size_stats: the chapter's printout plus FAISS's imbalance factor, by hand."""

import numpy as np
import pytest

from ivfcore import InputError, size_stats


def test_even_lists_have_imbalance_one():
    s = size_stats([10, 10, 10, 10])
    assert s.imbalance_factor == 1.0 and s.std == 0.0 and s.expected_scan == 10.0


def test_by_hand():
    s = size_stats([0, 2, 8])
    # k * sum(n_i^2) / n^2 = 3 * 68 / 100
    assert s.imbalance_factor == pytest.approx(2.04)
    assert s.expected_scan == pytest.approx(68 / 10)
    assert (s.min, s.max, s.n_empty, s.n, s.k) == (0, 8, 1, 10, 3)
    assert s.mean == pytest.approx(10 / 3)
    assert s.std == pytest.approx(np.std([0, 2, 8]))
    assert s.largest == (8, 2, 0) and s.largest_lists == (2, 1, 0)


def test_one_list_holding_everything_is_k():
    assert size_stats([100, 0, 0, 0, 0]).imbalance_factor == pytest.approx(5.0)


@pytest.mark.parametrize("bad", [[], [[1, 2]], [1, -1], [1.5, 2]])
def test_bad_sizes(bad):
    with pytest.raises(InputError):
        size_stats(bad)


def test_group_occupancy_by_hand():
    from ivfcore import group_occupancy

    occ = group_occupancy([0, 0, 1, 2, 2, 2], [0, 1, 1, 0, 0, 1], k=4, n_groups=2)
    np.testing.assert_array_equal(occ, [[1, 1], [0, 1], [2, 1], [0, 0]])
    with pytest.raises(InputError):
        group_occupancy([0, 1], [0], k=2, n_groups=1)


@pytest.mark.parametrize("bad", [[3.0, np.inf], [-np.inf, 1.0], [np.nan]])
def test_infinite_or_nan_sizes_are_named_as_such(bad):
    # inf passed the whole-number check and came back as "sizes cannot be negative"
    with pytest.raises(InputError, match="finite"):
        size_stats(bad)
