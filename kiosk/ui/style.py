"""The kiosk's look: one style sheet, scaled for elder mode (larger, high contrast)."""

from __future__ import annotations

FONT = '"Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", sans-serif'
BASE_PX = 24


def sheet(scale: float = 1.0, contrast: bool = False) -> str:
    """The style sheet at text size ``scale`` (elder mode ≥ 1.5) and, when ``contrast``, white
    and yellow on black with thick borders."""

    def px(n: float) -> int:
        return round(n * scale)

    bg, fg, accent, button, button_fg, border, muted = (
        ("#000000", "#ffffff", "#ffd400", "#000000", "#ffff00", "#ffff00", "#ffffff")
        if contrast
        else ("#f3f6fa", "#1d2733", "#c8102e", "#ffffff", "#1d2733", "#c9d3df", "#5b6b7d")
    )
    border_w = 4 if contrast else 2
    on_accent = "#000000" if contrast else "#ffffff"
    return f"""
    QWidget {{ background: {bg}; color: {fg}; font-family: {FONT}; font-size: {px(BASE_PX)}px; }}
    QLabel#title, QPushButton#title {{ font-size: {px(34)}px; font-weight: bold; border: none;
        color: {fg}; background: transparent; text-align: left; }}
    QLabel#clock {{ font-size: {px(28)}px; color: {muted}; }}
    QLabel#heading {{ font-size: {px(40)}px; font-weight: bold; }}
    QLabel#subheading {{ font-size: {px(28)}px; color: {muted}; }}
    QLabel#number {{ font-size: {px(120)}px; font-weight: bold; color: {accent}; }}
    QLabel#big {{ font-size: {px(34)}px; }}
    QLabel#error {{ font-size: {px(28)}px; color: {accent}; font-weight: bold; }}
    QLabel#countdown {{ font-size: {px(24)}px; color: {muted}; }}
    QLabel#banner {{ font-size: {px(26)}px; color: {accent}; font-weight: bold; }}
    QLabel#code {{ font-size: {px(64)}px; font-weight: bold; letter-spacing: {px(12)}px;
        border: {border_w}px solid {border}; border-radius: 12px; padding: {px(8)}px; }}
    QPushButton {{ background: {button}; color: {button_fg}; border: {border_w}px solid {border};
        border-radius: 14px; padding: {px(12)}px; min-height: {px(64)}px; font-size: {px(26)}px; }}
    QPushButton:pressed {{ background: {border}; }}
    QPushButton:disabled {{ color: {muted}; }}
    QPushButton[role="primary"] {{ background: {accent}; color: {on_accent};
        border-color: {accent}; font-weight: bold; }}
    QPushButton[role="service"] {{ min-height: {px(104)}px; font-size: {px(30)}px; }}
    QLabel#tile-title {{ font-size: {px(30)}px; font-weight: bold; background: transparent;
        color: {button_fg}; }}
    QLabel#tile-detail {{ font-size: {px(24)}px; background: transparent; color: {muted}; }}
    QPushButton[role="key"] {{ min-height: {px(80)}px; min-width: {px(80)}px;
        font-size: {px(34)}px; }}
    QPushButton[role="tab"] {{ min-height: {px(56)}px; }}
    QPushButton[role="tab"][active="true"] {{ background: {accent};
        color: {on_accent}; border-color: {accent}; }}
    QScrollBar:vertical {{ width: {px(36)}px; background: {bg}; }}
    QScrollBar::handle:vertical {{ background: {border}; border-radius: {px(12)}px;
        min-height: {px(80)}px; }}
    QFrame#row {{ border: {border_w}px solid {border}; border-radius: 12px; background: {button}; }}
    QFrame#row QLabel {{ background: transparent; border: none; }}
    """
