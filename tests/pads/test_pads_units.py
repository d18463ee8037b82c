"""Pure parts of the pads role: views, error texts, key plans, settings, the memory file."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from counter_pad import view as v
from counter_pad.actions import CounterContext, Plan, Step, plan, ticket_candidates
from counter_pad.keys import Key, KeyEvent
from counter_pad.memory import PadCursor, SqlitePadMemory
from counter_pad.settings import PadsSection

PREFIXES = {"SB-001": "A", "SB-002": "A", "YB-001": "B", "ZX-001": "Z"}


def gb(text: str) -> int:
    return len(text.encode("gb18030"))


def counter(**state: object) -> dict[str, object]:
    base: dict[str, object] = {
        "counter": "1",
        "name": "1号窗口",
        "state": "open",
        "staff": "1001",
        "current": None,
        "held": [],
        "waiting": 5,
        "services": ["SB-001"],
    }
    return {**base, **state}


# ------------------------------------------------------------------ views


def test_pad_view_of_each_counter_state() -> None:
    assert v.pad_view(None) == v.CONNECTING
    assert v.pad_view(counter(staff=None)).line1 == "未签到"
    cur = {"number": "A012", "state": "serving", "state_zh": "办理中"}
    assert v.pad_view(counter(current=cur)) == v.PadView("A012 办理中", "等候 5 人", "A012", 5)
    assert v.pad_view(counter()) == v.PadView("空闲", "等候 5 人", None, 5)
    assert v.pad_view(counter(state="paused")).line2 == "已暂停 等候5人"
    assert v.pad_view(counter(held=["A003", "A004"])).line1 == "空闲 挂起2个"
    busy = v.pad_view(counter(current=cur, state="paused", waiting=999))
    assert gb(busy.line2) <= 16


def test_display_and_evaluator_views() -> None:
    cur = {"number": "A012", "state": "called", "state_zh": "已呼叫"}
    assert v.display_view(counter(current=cur)) == v.PadView("1号窗口", "请 A012 号")
    assert v.display_view(counter(staff=None)).line2 == "暂停服务"
    assert v.evaluator_view(counter()) == v.PadView("1号窗口", "工号 1001")


@pytest.mark.parametrize(
    ("code", "message", "hint", "lines"),
    [
        ("not_signed_in", "未签到", "请先输入工号签到", ("未签到", "请先输入工号签到")),
        ("queue_empty", "暂无等候", "稍后再呼叫", ("暂无等候", "稍后再呼叫")),
        (
            "unknown_service",
            "转移失败：无业务 SB-009",
            "请核对业务代码",
            ("转移失败", "无业务 SB-009"),
        ),
        (
            "unknown_counter",
            "转移失败：没有 12 号窗口",
            "请核对窗口号",
            ("转移失败", "没有 12 号窗口"),
        ),
        (
            "skip_too_early",
            "需呼叫满 2 次才能过号（已呼 1 次）",
            "请先重呼",
            ("呼叫次数不足", "已呼 1 次"),
        ),
        ("recall_limit", "A012 号已重呼 3 次", "可按过号", ("重呼次数已满", "可按过号")),
        ("not_called", "A012 号已在办理中", "办理中的号无需重呼", ("该号已在办理中", "无需重呼")),
        (
            "already_rated",
            "A012 号已评价",
            "每个号只能评价一次",
            ("A012 号已评价", "每号只能评一次"),
        ),
        (
            "staff_elsewhere",
            "工号 1001 已在 2号窗口签到",
            "请先在原窗口签退",
            ("工号已在别处签到", "请先在原窗口签退"),
        ),
        ("deadline_passed", "请求已超时，请重试", "", ("请求超时", "请重试")),
        ("something_new", "一个很长很长很长很长的错误信息", "", ("一个很长很长很长", "")),
    ],
)
def test_hub_refusals_shortened_for_the_pad(
    code: str, message: str, hint: str, lines: tuple[str, str]
) -> None:
    got = v.short_error(code, message, hint)
    assert got == lines
    assert all(gb(line) <= 16 for line in got)


def test_every_short_form_fits() -> None:
    assert all(gb(t) <= 16 for t in [*v.SHORT.values(), *v.SHORT_HINT.values()])


def test_error_view_keeps_the_legacy_digits() -> None:
    base = v.pad_view(counter(current={"number": "A012", "state_zh": "办理中"}))
    err = v.error_view(base, "queue_empty", "暂无等候")
    assert (err.line1, err.line2, err.ticket, err.waiting) == ("暂无等候", "A012 办理中", "A012", 5)


def test_predict_after_commands() -> None:
    st = counter()
    called = v.predict(st, "call_next", {"number": "A001", "waiting": 4})
    assert called is not None and v.pad_view(called).line1 == "A001 已呼叫"
    assert called["waiting"] == 4
    held = v.predict(st, "hold", {"number": "A001"})
    assert held is not None and held["held"] == ["A001"] and held["current"] is None
    assert v.predict(held, "hold", {"number": "A001"}) == held  # the hub's state came first
    out = v.predict(st, "sign_out", {})
    assert out is not None and v.pad_view(out).line1 == "未签到"
    assert v.predict(None, "call_next", {"number": "A001"}) is None


# ------------------------------------------------------------------ plans


def ctx(**kw: object) -> CounterContext:
    base: dict[str, object] = {
        "counter": "1",
        "services": ("SB-001", "YB-001"),
        "counters": frozenset({"1", "2", "10"}),
        "prefixes": PREFIXES,
        "shortcuts": {"11": "ZX-001"},
    }
    return CounterContext(**{**base, **kw})  # type: ignore[arg-type]


def test_plans_of_simple_keys() -> None:
    assert plan(Key.CALL_NEXT, "", ctx()) == Plan((Step("call_next", {"counter": "1"}),))
    assert plan(Key.LOGIN, "1001", ctx()).steps == (
        Step("sign_in", {"counter": "1", "staff": "1001"}),
    )
    assert plan(Key.LOGOUT, "", ctx()).steps[0].command == "sign_out"
    assert plan(Key.EVAL_REQUEST, "", ctx()).local == "eval_request"
    assert plan(Key.RATING_3, "", ctx()).error is not None


def test_ticket_numbers_typed_on_a_pad() -> None:
    assert ticket_candidates("12", ctx()) == ["A012", "B012"]
    assert ticket_candidates("a7", ctx()) == ["A007"]
    assert ticket_candidates("0012", ctx()) == ["A0012", "B0012"]
    assert ticket_candidates("A-1", ctx()) == []
    steps = plan(Key.CALL_NUMBER, "12", ctx()).steps
    assert [s.args["number"] for s in steps] == ["A012", "B012"]
    back = plan(Key.CALL_NUMBER, "12", ctx(held=("B012",)))
    assert back.steps == (Step("call_back", {"counter": "1", "number": "B012"}),)
    assert plan(Key.CALL_NUMBER, "??", ctx()).error == ("号码格式错误", "??")


def test_transfer_targets() -> None:
    def target(arg: str) -> Step:
        (step,) = plan(Key.TRANSFER, arg, ctx()).steps
        return step

    assert target("2") == Step("transfer", {"counter": "1", "to_counter": "2"})
    assert target("10") == Step("transfer", {"counter": "1", "to_counter": "10"})
    assert target("11") == Step("transfer", {"counter": "1", "to_service": "ZX-001"})
    assert target("yb-001") == Step("transfer", {"counter": "1", "to_service": "YB-001"})
    assert target("1") == Step("hold", {"counter": "1"})
    assert plan(Key.TRANSFER, "A B", ctx()).error == ("转移失败", "目标格式错误")


# ------------------------------------------------------------------ settings


def pads(**section: object) -> PadsSection:
    return PadsSection.model_validate(section)


def bus(**kw: object) -> dict[str, object]:
    return {"name": "b1", "port": "/dev/ttyUSB0", "devices": [{"address": 1, "counter": "1"}], **kw}


def test_settings_accept_a_full_section() -> None:
    p = pads(
        buses=[bus(baud=115200), bus(name="b2", port="/dev/ttyUSB1", profile="legacy")],
        keypads=[{"name": "kp", "device_name": "Keypad", "counter": "3"}],
    )
    assert p.buses[0].baud == 115200 and p.buses[1].profile == "legacy"
    assert p.keypads[0].keymap["KEY_KPENTER"] == "call"


def test_new_lines_run_at_115200_and_legacy_lines_at_9600() -> None:
    """Without ``baud``: a v1 line runs at 115200 (issue 18), a legacy line at its pads'
    9600; a speed that is written down is kept."""
    p = pads(
        buses=[
            bus(),
            bus(name="b2", port="/dev/ttyUSB1", profile="legacy"),
            bus(name="b3", port="/dev/ttyUSB2", profile="legacy", baud=19200),
            bus(name="b4", port="/dev/ttyUSB3", baud=9600),
        ]
    )
    assert [b.baud for b in p.buses] == [115200, 9600, 19200, 9600]


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"buses": [bus(baud=4800)]}, "baud"),
        ({"buses": [bus(devices=[{"address": 1, "counter": "1"}] * 2)]}, "listed twice"),
        ({"buses": [bus(devices=[{"address": 32, "counter": "1"}])]}, "less than or equal"),
        (
            {
                "buses": [
                    bus(
                        profile="legacy",
                        devices=[{"address": 1, "counter": "1", "kind": "evaluator"}],
                    )
                ]
            },
            "legacy lines carry call-pads only",
        ),
        ({"buses": [bus(), bus()]}, "used twice"),
        ({"buses": [bus(), bus(name="b2")]}, "used by two buses"),
        ({"buses": [bus(name="a/b")]}, "pattern"),
        ({"keypads": [{"name": "k", "counter": "1"}]}, "exactly one of device and device_name"),
        (
            {
                "keypads": [
                    {
                        "name": "k",
                        "device": "/dev/input/x",
                        "counter": "1",
                        "keymap": {"KEY_KP1": "fly"},
                    }
                ]
            },
            "unknown action",
        ),
        ({"colour": "red"}, "Extra inputs"),
    ],
)
def test_settings_refuse_bad_values(section: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        pads(**section)


# ------------------------------------------------------------------ memory


def test_sqlite_memory_outlives_its_process(tmp_path: Path) -> None:
    m = SqlitePadMemory(tmp_path / "m.db")
    m.put("b1", 3, PadCursor(4242, 17, 20261127, 272))
    assert m.next_session("legacy") == 1
    event = KeyEvent("legacy", 2, 1, 1, Key.CALL_NUMBER, "012", epoch=20261127, serial=1)
    m.journal_add(event)
    m.close()
    again = SqlitePadMemory(tmp_path / "m.db")
    assert again.get("b1", 3) == PadCursor(4242, 17, 20261127, 272)
    assert again.get("b1", 4) is None
    assert again.next_session("legacy") == 2
    assert again.journal_pending("legacy") == [event]
    again.journal_done(event)
    assert again.journal_pending("legacy") == []
    again.close()


def test_idempotency_key_names_bus_device_boot_epoch_and_serial() -> None:
    e = KeyEvent("b1", 3, 4242, 17, Key.CALL_NEXT, epoch=20261127, serial=272)
    assert e.idempotency_key == "pad/b1/3/4242-20261127/272"
    assert KeyEvent("b1", 3, 4242, 17, Key.CALL_NEXT).idempotency_key == "pad/b1/3/4242-0/17"
    gen = KeyEvent("b1", 3, 4242, 17, Key.CALL_NEXT, epoch=20261127, serial=272, memory=0xAB)
    assert gen.idempotency_key == "pad/b1/3/4242-20261127-000000ab/272"


def test_the_memory_generation_outlives_the_process_and_not_the_file(tmp_path: Path) -> None:
    m = SqlitePadMemory(tmp_path / "m.db")
    gen = m.generation
    m.put("b1", 3, PadCursor(4242, 17, 20261127, 272, clear_seen=True))
    m.close()
    again = SqlitePadMemory(tmp_path / "m.db")
    assert again.generation == gen and again.get("b1", 3) == PadCursor(
        4242, 17, 20261127, 272, True
    )
    again.close()
    lost = SqlitePadMemory(tmp_path / "new.db")
    assert lost.generation != gen and lost.generation > 0
    lost.close()


def test_a_memory_file_from_before_booted_was_followed_is_read(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE cursors (bus TEXT NOT NULL, address INTEGER NOT NULL, boot_id INTEGER "
        "NOT NULL, last_event INTEGER NOT NULL, epoch INTEGER NOT NULL, serial INTEGER NOT "
        "NULL, PRIMARY KEY (bus, address))"
    )
    conn.execute("INSERT INTO cursors VALUES ('b1', 3, 4242, 17, 20261127, 272)")
    conn.commit()
    conn.close()
    m = SqlitePadMemory(path)
    assert m.get("b1", 3) == PadCursor(4242, 17, 20261127, 272, False)
    m.close()


def test_durable_prompts_held_presses_and_health(tmp_path: Path) -> None:
    from counter_pad.durable import HeldPress, LineHealth, Prompt, read_health

    m = SqlitePadMemory(tmp_path / "m.db")
    d = m.durable
    d.prompt_put(Prompt("b1", 2, "1", "A012", 1000.0))
    d.prompt_put(Prompt("b1", 4, "2", "B003", 1001.0))
    d.prompt_done("b1", 2, "A011")  # another ticket: kept
    press = KeyEvent("b1", 1, 7, 3, Key.FINISH, epoch=1, serial=3, memory=m.generation)
    d.held_add(HeldPress(press, "1", 1002.0))
    d.health_put(LineHealth("b1", {"bad_crc": 3, "timeouts": 1}, 1003.0, {"bad_crc": 1}, 10))
    m.close()
    again = SqlitePadMemory(tmp_path / "m.db")
    assert [p.number for p in again.durable.prompts()] == ["A012", "B003"]
    again.durable.prompt_done("b1", 2, "A012")
    assert [p.number for p in again.durable.prompts()] == ["B003"]
    assert again.durable.held() == [HeldPress(press, "1", 1002.0)]
    again.durable.held_done(press.idempotency_key)
    assert again.durable.held() == []
    assert read_health(str(tmp_path / "m.db")) == [
        LineHealth("b1", {"bad_crc": 3, "timeouts": 1}, 1003.0, {"bad_crc": 1}, 10.0)
    ]
    again.close()


# ------------------------------------------------------------------ held presses, noise


@pytest.mark.parametrize(
    ("key", "age", "reason"),
    [
        (Key.CALL_NEXT, 60, None),
        (Key.CALL_NEXT, 121, "呼叫已过时"),
        (Key.CALL_NUMBER, 121, "呼叫已过时"),
        (Key.FINISH, 121, None),
        (Key.FINISH, 901, "操作已过时"),
        (Key.RATING_5, 901, None),
        (Key.NO_RATING, 3601, "评价已过时"),
        (Key.CALL_NEXT, -30, None),  # the clock went back
    ],
)
def test_a_held_press_expires_by_its_kind(key: Key, age: float, reason: str | None) -> None:
    from counter_pad.held import HeldLimits, stale_reason

    assert stale_reason(key, age, HeldLimits()) == reason


def test_noise_is_counted_always_and_logged_at_a_sane_rate() -> None:
    import logging
    from collections import Counter

    from counter_pad.noise import NoiseLog

    now = [0.0]
    stats: Counter[str] = Counter()
    noise = NoiseLog("bus b1", stats, logging.getLogger("t"), interval=60, clock=lambda: now[0])
    for i in range(1000):  # 8 a second for two minutes
        now[0] = i / 8
        noise.note("overflow", detail="address 3")
        noise.note("bad_crc")
    assert stats["overflow"] == 1000 and stats["bad_crc"] == 1000
    assert noise.logged == 2 + 2  # the first of each kind, then a summary a minute
    now[0] = 200.0
    noise.flush()
    assert noise.logged == 5


def test_a_line_is_noisy_by_what_an_interval_brought() -> None:
    from counter_pad.health import noisy, summary

    assert not noisy({}, {"bad_crc": 3, "noise_bytes": 50})
    assert noisy({"bad_crc": 3}, {"bad_crc": 13})
    assert noisy({}, {"noise_bytes": 250})
    assert not noisy({"foreign_frames": 100}, {"foreign_frames": 101, "timeouts": 50})
    assert summary({"bad_crc": 13, "timeouts": 2}, {"bad_crc": 3}) == "bad_crc 10, timeouts 2"
    assert summary({}) == "clean"
