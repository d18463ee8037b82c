"""The kiosk's look: one style sheet, scaled for elder mode (larger, high contrast) and for
the window's size.

Sizes are designed for a screen 1080 pixels high and at least 1440 wide (1080×1920
standing); a window of another size gets them times ``fit`` (``fit_for``), so every screen
keeps its proportions: what fits there fits at 1366×768 and 1280×1024 too.
"""

from __future__ import annotations

FONT = '"Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", sans-serif'
BASE_PX = 24
DESIGN = (1440, 1080)  # the narrowest landscape screen the layouts are made for (4:3)
FIT_RANGE = (0.5, 2.0)
NUMBER_SCALE_MAX = 1.15  # the ticket number is huge already: elder mode grows it less


def fit_for(width: int, height: int) -> float:
    """The size factor for a window: 1.0 at 1080 pixels high (landscape, at least 4:3) or
    1080 wide (standing), smaller or larger in proportion."""
    wide, high = DESIGN
    w, h = (wide, high) if width >= height else (high, high * 16 / 9)
    factor = min(width / w, height / h)
    return max(FIT_RANGE[0], min(FIT_RANGE[1], factor))


def sheet(scale: float = 1.0, contrast: bool = False, fit: float = 1.0) -> str:
    """The style sheet at text size ``scale`` (elder mode ≥ 1.5) in a window of size factor
    ``fit``; with ``contrast``, white and yellow on black with thick borders."""

    def px(n: float) -> int:
        return max(1, round(n * scale * fit))

    def box(n: float) -> int:  # borders and corners grow with the window only
        return max(1, round(n * fit))

    bg, fg, accent, button, button_fg, border, muted, good = (
        ("#000000", "#ffffff", "#ffd400", "#000000", "#ffff00", "#ffff00", "#ffffff", "#7dff7d")
        if contrast
        else (
            "#f3f6fa",
            "#1d2733",
            "#c8102e",
            "#ffffff",
            "#1d2733",
            "#c9d3df",
            "#5b6b7d",
            "#1b7a3a",
        )
    )
    border_w = box(4 if contrast else 2)
    on_accent = "#000000" if contrast else "#ffffff"
    number = round(120 * min(scale, NUMBER_SCALE_MAX) * fit)
    return f"""
    QWidget {{ background: {bg}; color: {fg}; font-family: {FONT}; font-size: {px(BASE_PX)}px; }}
    QPushButton#title {{ border: none; background: transparent; padding: 0px;
        min-height: {px(48)}px; }}
    QPushButton#title QLabel {{ font-size: {px(34)}px; font-weight: bold; color: {fg}; }}
    QLabel#clock {{ font-size: {px(28)}px; color: {muted}; }}
    QLabel#heading {{ font-size: {px(40)}px; font-weight: bold; }}
    QLabel#subheading {{ font-size: {px(28)}px; color: {muted}; }}
    QLabel#number {{ font-size: {number}px; font-weight: bold; color: {accent}; }}
    QLabel#big {{ font-size: {px(34)}px; }}
    QLabel#error {{ font-size: {px(28)}px; color: {accent}; font-weight: bold; }}
    QLabel#ok {{ font-size: {px(28)}px; color: {good}; font-weight: bold; }}
    QLabel#countdown {{ font-size: {px(24)}px; color: {muted}; }}
    QLabel#banner {{ font-size: {px(26)}px; color: {accent}; font-weight: bold; }}
    QLabel#void {{ font-size: {px(72)}px; color: {accent}; font-weight: bold; }}
    QLabel#paused {{ font-size: {px(48)}px; color: {accent}; font-weight: bold; }}
    QLabel#voided-number {{ font-size: {px(30)}px; color: {muted}; }}
    QLabel#code {{ font-size: {px(56)}px; font-weight: bold; letter-spacing: {px(6)}px;
        border: {border_w}px solid {border}; border-radius: {box(12)}px; padding: {px(6)}px; }}
    QLabel#query {{ font-size: {px(40)}px; font-weight: bold;
        border: {border_w}px solid {border}; border-radius: {box(12)}px; padding: {px(6)}px; }}
    QLabel:disabled {{ color: {muted}; }}
    QPushButton {{ background: {button}; color: {button_fg}; border: {border_w}px solid {border};
        border-radius: {box(14)}px; padding: {px(10)}px; min-height: {px(52)}px;
        font-size: {px(26)}px; }}
    QPushButton QLabel {{ background: transparent; color: {button_fg}; font-size: {px(26)}px; }}
    QPushButton:pressed {{ background: {border}; }}
    QPushButton:disabled {{ color: {muted}; border-style: dashed; }}
    QPushButton[role="primary"] {{ background: {accent}; border-color: {accent}; }}
    QPushButton[role="primary"] QLabel {{ color: {on_accent}; font-weight: bold; }}
    QPushButton[role="primary"]:disabled {{ background: {button}; border-color: {border}; }}
    QPushButton[role="primary"] QLabel:disabled {{ color: {muted}; }}
    QPushButton[role="service"] {{ min-height: {px(84)}px; }}
    QPushButton[role="service"] QLabel#button-text {{ font-size: {px(30)}px;
        font-weight: bold; }}
    QPushButton[role="service"] QLabel#button-detail {{ font-size: {px(24)}px;
        color: {muted}; }}
    QPushButton[role="green"] {{ min-height: {px(84)}px; }}
    QPushButton[role="green"] QLabel {{ font-size: {px(30)}px; }}
    QPushButton[role="key"] {{ min-height: {px(64)}px; min-width: {px(64)}px;
        font-size: {px(34)}px; padding: {px(4)}px; }}
    QPushButton[role="letter"] {{ min-height: {px(50)}px; min-width: {px(40)}px;
        font-size: {px(28)}px; padding: {px(2)}px; }}
    QPushButton[role="tab"] {{ min-height: {px(40)}px; padding: {px(6)}px; }}
    QPushButton[role="header"] {{ min-height: {px(40)}px; padding: {px(6)}px; }}
    QPushButton[role="tab"][active="true"] {{ background: {accent}; border-color: {accent}; }}
    QPushButton[role="tab"][active="true"] QLabel {{ color: {on_accent}; }}
    QPushButton[role="letter"][active="true"] {{ background: {accent}; border-color: {accent};
        color: {on_accent}; }}
    QPushButton[role="field"] {{ padding: {px(6)}px; }}
    QPushButton[role="field"] QLabel {{ font-size: {px(40)}px; font-weight: bold; }}
    QPushButton[role="field"][active="true"] {{ border: {box(6)}px solid {accent}; }}
    QPushButton[role="field"][active="false"] QLabel {{ color: {muted}; }}
    QScrollBar:vertical {{ width: {px(36)}px; background: {bg}; }}
    QScrollBar::handle:vertical {{ background: {border}; border-radius: {px(12)}px;
        min-height: {px(48)}px; }}
    QFrame#row {{ border: {border_w}px solid {border}; border-radius: {box(12)}px;
        background: {button}; }}
    QFrame#row QLabel {{ background: transparent; border: none; }}
    """


def spacing(scale: float, fit: float) -> int:
    """Space between the widgets of a screen (elder mode's larger text needs no more)."""
    return max(4, round(10 * min(scale, 1.2) * fit))


def margins(fit: float) -> tuple[int, int]:
    """The window's margins (sides, top and bottom)."""
    return max(8, round(32 * fit)), max(6, round(20 * fit))


class Look:
    """The window's current text scale and size factor, read by views that count columns."""

    def __init__(self) -> None:
        self.scale = 1.0
        self.fit = 1.0
        self.landscape = True

    def px(self, n: float) -> int:
        return max(1, round(n * self.scale * self.fit))
