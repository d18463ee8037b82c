"""Sizes on the screen, pure: fonts and rows scale with the screen, 1080p to 4K.

Everything is in pixels derived from one unit `u`: 1.0 on a 1920x1080 landscape screen (or
1080x1920 portrait), 2.0 on 4K. From 10 metres a character needs to be about 8–10 cm tall:
on a 55-inch screen (68 cm tall in landscape) that is one seventh of the height, the size
of the current call; the recent calls are half that, the rest a third.

Landscape: header | the current call across the screen | recent calls beside services |
counters line | notice. Portrait: the same from top to bottom, one column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Orientation = Literal["landscape", "portrait"]
LINE = 1.5  # a text line's height, relative to its font size (Noto Sans CJK: 1.45)


@dataclass(frozen=True)
class Metrics:
    orientation: Orientation
    width: int
    height: int
    unit: float
    margin: int
    header_font: int
    clock_font: int
    banner_font: int
    banner_height: int
    section_font: int  # "最近叫号", "等候情况"
    recent_font: int
    recent_row: int
    service_font: int
    service_row: int
    footer_font: int
    notice_font: int
    notice_height: int
    status_font: int
    recent_rows: int  # how many recent calls fit
    service_rows: int  # how many services fit on one page

    @property
    def columns(self) -> int:
        return 2 if self.orientation == "landscape" else 1


def metrics(width: int, height: int, orientation: Orientation, recent_calls: int = 8) -> Metrics:
    """The sizes for a `width` x `height` screen in `orientation`."""
    if width <= 0 or height <= 0:
        raise ValueError(f"screen size must be positive: {width}x{height}")
    if orientation == "landscape":
        u = min(width / 1920, height / 1080)
    else:
        u = min(width / 1080, height / 1920)

    def px(value: float) -> int:
        return max(1, round(value * u))

    margin = px(24)
    # a line of 48 px text (and in portrait the date under it), a line of 32 px text
    header_h = px(72) if orientation == "landscape" else px(72 + 38 + 24)
    footer_h = px(48)
    notice_h = px(80)
    banner_h = px(280 if orientation == "landscape" else 420)
    # a row holds one line of its text: CJK fonts take ~1.45 of the size in height
    recent_row, service_row = px(52 * LINE), px(38 * LINE)
    title_h = px(56) + margin  # a panel's heading and its inner margins
    body = max(0, height - (header_h + banner_h + footer_h + notice_h + 5 * margin))
    if orientation == "landscape":
        recent_space = service_space = body - title_h
    else:
        # the recent calls take what they need (at most half), the services the rest
        recent_space = min(body // 2 - title_h, recent_row * min(recent_calls, 6))
        service_space = body - margin - recent_space - 2 * title_h
    recent_rows = max(1, min(recent_calls, recent_space // recent_row))
    service_rows = max(1, service_space // service_row)
    return Metrics(
        orientation=orientation,
        width=width,
        height=height,
        unit=u,
        margin=margin,
        header_font=px(48),
        clock_font=px(48),
        banner_font=px(120 if orientation == "landscape" else 104),
        banner_height=banner_h,
        section_font=px(36),
        recent_font=px(52),
        recent_row=recent_row,
        service_font=px(38),
        service_row=service_row,
        footer_font=px(32),
        notice_font=px(40),
        notice_height=notice_h,
        status_font=px(26),
        recent_rows=recent_rows,
        service_rows=service_rows,
    )
