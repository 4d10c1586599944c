"""ui.fmt: two different values never print alike where a page compares them."""

from ui import fmt


def test_percent_keeps_small_errors_apart():
    assert fmt.percent(0.2346) == "23.5%"
    assert fmt.percent(0.001) == "0.1%"
    assert fmt.percent(0.00012) == "0.012%" and fmt.percent(0.00034) == "0.034%"  # were both 0.0%
    assert fmt.percent(0.0) == "0.0%"


def test_ratio_shows_opening_every_list_as_a_loss():
    assert fmt.ratio(20.24) == "20.2×" and fmt.ratio(1234.5) == "1,234.5×"
    assert fmt.ratio(3.456) == "3.46×"
    assert fmt.ratio(100_000 / 101_000) == "0.99×"  # was 1.0×
    assert fmt.ratio(5_000 / 5_016) == "0.997×"


def test_average_counts_keep_their_decimals_when_small():
    assert fmt.average(312.4) == "312" and fmt.average(1000) == "1,000"
    assert fmt.average(5000 / 4096) == "1.22"  # was "1 vectors per list"


def test_weighting_names_each_groups_share():
    from ui.fmt import weighting

    assert weighting(["dense", "sparse"], [0.9, 0.1]).endswith(
        "weighted by the group's share of the data: 90% dense, 10% sparse")
    assert weighting([f"blob {i}" for i in range(8)], [0.125] * 8).endswith("12.5% each")
    assert "from 9.9% to 10.2%" in weighting([str(i) for i in range(10)], [0.099] * 9 + [0.102])
    assert "every query counts the same" in weighting(["all"], [1.0])
