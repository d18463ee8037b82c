"""Golden bytes of the project's Chinese encoding (FS &, GB18030, full-width punctuation)."""

from __future__ import annotations

import pytest

from drivers.printer import COMPACT_58MM, DEFAULT_80MM
from drivers.printer.encoding import (
    FS_CHINESE_ON,
    clean_text,
    encode_text,
    fit_lines,
    text_columns,
    text_line,
    wrap,
)


def test_chinese_mode_is_fs_ampersand() -> None:
    assert bytes.fromhex("1c26") == FS_CHINESE_ON


@pytest.mark.parametrize(
    ("text", "golden"),
    [
        ("社会保障卡申领", "c9e7bbe1b1a3d5cfbfa8c9eac1ec"),
        ("：", "a3ba"),
        ("（", "a3a8"),
        ("）", "a3a9"),
        ("——", "a1aaa1aa"),
        ("A012", "41303132"),
        ("2024-05-06 09:12", "323032342d30352d30362030393a3132"),
        ("【老年人优先】", "a1bec0cfc4eac8cbd3c5cfc8a1bf"),
    ],
)
def test_encode_text_golden(text: str, golden: str) -> None:
    assert encode_text(text, DEFAULT_80MM) == bytes.fromhex(golden)


def test_punctuation_only_line_is_not_question_marks() -> None:
    # python-escpos 3.1 turns "：" and "——" into "?": ours must not.
    assert text_line("：", DEFAULT_80MM) == bytes.fromhex("1c26 a3ba 0a")
    assert text_line("——", DEFAULT_80MM) == bytes.fromhex("1c26 a1aaa1aa 0a")
    assert b"?" not in text_line("（）——：", DEFAULT_80MM)


def test_every_line_selects_chinese_mode_even_ascii_only() -> None:
    assert text_line("A012", DEFAULT_80MM) == bytes.fromhex("1c26 41303132 0a")


def test_control_characters_cannot_inject_commands() -> None:
    assert clean_text("大厅\x1b@\x1dV\x00\x10\x04\x01") == "大厅@V"
    assert b"\x1b" not in encode_text("a\x1bb", DEFAULT_80MM)
    assert clean_text("a\tb\nc") == "a b c"


def test_columns_count_full_width_as_two() -> None:
    assert text_columns("A012") == 4
    assert text_columns("社保：（）——") == 14


def test_wrap_never_exceeds_columns_nor_splits_a_character() -> None:
    text = "请留意叫号：过号需重新取号——谢谢（本票当日有效）ABC"
    lines = wrap(text, COMPACT_58MM.columns)
    assert "".join(lines) == text
    assert all(text_columns(line) <= COMPACT_58MM.columns for line in lines)
    assert len(lines) == 2


def test_wrap_of_empty_text_is_one_empty_line() -> None:
    assert wrap("", 32) == [""]


def test_wrap_never_starts_a_line_with_a_closing_mark() -> None:
    text = "请留意叫号：过号需重新取号——谢谢（本票当日有效）"
    lines = wrap(text, 44)
    assert lines == ["请留意叫号：过号需重新取号——谢谢", "（本票当日有效）"]  # before the bracket
    assert "".join(lines) == text
    assert not any(line.startswith(("）", "：", "—")) for line in wrap("一二三：四五六：七八", 6))


@pytest.mark.parametrize(
    ("text", "columns", "lines"),
    [
        (
            "请留意叫号，过号请到服务台咨询。本票当日有效。",
            32,
            ["请留意叫号，过号请到服务台咨询。", "本票当日有效。"],
        ),
        ("预约时段 09:30-10:00", 12, ["预约时段", "09:30-10:00"]),
        (
            "请将手机上的预约二维码对准扫描口，或刷身份证",
            30,
            ["请将手机上的预约二维码对准", "扫描口，或刷身份证"],
        ),
    ],
)
def test_wrap_breaks_at_sensible_places(text: str, columns: int, lines: list[str]) -> None:
    assert wrap(text, columns) == lines


@pytest.mark.parametrize(
    ("name", "columns", "lines"),
    [
        ("湛河区政务服务中心", 16, ["湛河区", "政务服务中心"]),  # 58 mm, double size
        ("湛河区政务服务中心", 24, ["湛河区政务服务中心"]),  # 80 mm
        ("平顶山市湛河区政务服务中心", 24, ["平顶山市湛河区", "政务服务中心"]),  # 13 on 80 mm
        ("工商银行湛河支行（政银通办）", 16, ["工商银行湛河支行", "（政银通办）"]),
        ("新城街道便民服务中心", 16, ["新城街道", "便民服务中心"]),
        ("某某某某某某某某某某某某某某某某某某", 16, None),  # no good place: print it smaller
    ],
)
def test_hall_names_fit_or_break_between_words(
    name: str, columns: int, lines: list[str] | None
) -> None:
    assert fit_lines(name, columns) == lines
