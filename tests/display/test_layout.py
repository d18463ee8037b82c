"""Sizes scale with the screen; landscape and portrait keep everything on the screen."""

from __future__ import annotations

import pytest

from display.layout import metrics


def test_4k_is_twice_1080p() -> None:
    hd, uhd = metrics(1920, 1080, "landscape"), metrics(3840, 2160, "landscape")
    assert uhd.banner_font == 2 * hd.banner_font and uhd.recent_font == 2 * hd.recent_font
    assert (uhd.recent_rows, uhd.service_rows) == (hd.recent_rows, hd.service_rows)
    assert hd.banner_font >= hd.height / 10  # about 9 cm on a 55-inch screen: 10 m away


@pytest.mark.parametrize(
    ("size", "orientation"),
    [
        ((1920, 1080), "landscape"),
        ((3840, 2160), "landscape"),
        ((1280, 720), "landscape"),
        ((1080, 1920), "portrait"),
        ((2160, 3840), "portrait"),
    ],
)
def test_the_parts_fit_on_the_screen(size: tuple[int, int], orientation: str) -> None:
    m = metrics(*size, orientation, recent_calls=8)  # type: ignore[arg-type]
    assert m.recent_rows >= 4 and m.service_rows >= 4
    used = m.banner_height + m.notice_height + m.recent_rows * m.recent_row
    if orientation == "portrait":
        used += m.service_rows * m.service_row
    assert used < m.height


def test_portrait_is_one_column() -> None:
    assert metrics(1080, 1920, "portrait").columns == 1
    assert metrics(1920, 1080, "landscape").columns == 2


def test_a_screen_without_size_is_an_error() -> None:
    with pytest.raises(ValueError, match="positive"):
        metrics(0, 1080, "landscape")
