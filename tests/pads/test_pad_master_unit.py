"""Pure parts of the master: wrap-around order, settings checks."""

from __future__ import annotations

import pytest

from counter_pad.master import MasterSettings
from counter_pad.memory import is_after


@pytest.mark.parametrize(
    ("number", "last", "after"),
    [
        (1, 0, True),
        (200, 0, True),
        (2, 1, True),
        (1, 1, False),
        (1, 2, False),
        (1, 255, True),
        (3, 250, True),
        (250, 3, False),
        (17, 16, True),
        (16, 17, False),
    ],
)
def test_is_after_wraps_255_to_1(number: int, last: int, after: bool) -> None:
    assert is_after(number, last) is after


def test_settings_refuse_bad_values() -> None:
    with pytest.raises(ValueError, match="1-31"):
        MasterSettings("b", addresses=(0, 1))
    with pytest.raises(ValueError, match="distinct"):
        MasterSettings("b", addresses=(2, 2))
    with pytest.raises(ValueError, match="baud"):
        MasterSettings("b", baud=4800)


def test_gap_is_never_under_three_and_a_half_characters() -> None:
    assert MasterSettings("b", baud=115200).gap == 0.005
    assert MasterSettings("b", baud=9600, inter_byte_gap=0.001).gap == pytest.approx(
        3.5e-3 * 10 / 9.6
    )
