"""The pads role end to end: simulated pads on a pty, the real master, the hub in process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from counter_pad.keys import Key
from tests.pads.rig import PadRig, wait_for

pytestmark = pytest.mark.timeout(60)
PAD, EVAL, SCREEN = "call_pad", "evaluator", "display"


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[PadRig]:
    r = PadRig(
        tmp_path,
        {1: ("1", PAD), 2: ("1", EVAL), 3: ("2", PAD), 4: ("3", SCREEN)},
        notice_seconds=1.0,
    )
    yield r
    r.close()


def test_a_key_for_a_counter_not_signed_in_gets_the_error_text(rig: PadRig) -> None:
    rig.expect(1, "未签到", "请输入工号签到")
    rig.press(1, Key.CALL_NEXT)
    rig.expect(1, "未签到", "请先输入工号签到")
    assert wait_for(lambda: rig.sim.v1[1].beeps == 2)
    rig.settle()
    assert rig.called() == []
    rig.expect(1, "未签到", "请输入工号签到", timeout=3)  # the notice passes


def test_show_texts_after_each_operation(rig: PadRig) -> None:
    rig.issue("SB-001", 3)
    steps: list[tuple[Key, str, str, str]] = [
        (Key.LOGIN, "1001", "空闲", "等候 3 人"),
        (Key.CALL_NEXT, "", "A001 已呼叫", "等候 2 人"),
        (Key.RECALL, "", "A001 已呼叫", "等候 2 人"),
        (Key.START, "", "A001 办理中", "等候 2 人"),
        (Key.FINISH, "", "空闲", "等候 2 人"),
        (Key.CALL_NEXT, "", "A002 已呼叫", "等候 1 人"),
        (Key.SKIP, "", "呼叫次数不足", "已呼 1 次"),  # 过号 needs two calls
        (Key.RECALL, "", "A002 已呼叫", "等候 1 人"),
        (Key.SKIP, "", "空闲", "等候 1 人"),
        (Key.PAUSE, "", "空闲", "已暂停 等候1人"),
        (Key.CALL_NEXT, "", "窗口已暂停", "请先按恢复键"),
        (Key.RESUME, "", "空闲", "等候 1 人"),
        (Key.LOGOUT, "", "未签到", "请输入工号签到"),
    ]
    for key, arg, line1, line2 in steps:
        rig.press(1, key, arg)
        rig.settle()
        rig.expect(1, line1, line2)
    assert rig.called("1") == ["A001", "A002"]
    shown = rig.line.shown[1]
    assert shown.index(("A001 办理中", "等候 2 人")) < shown.index(("A002 已呼叫", "等候 1 人"))
    assert rig.sim.v1[3].lines == ("未签到", "请输入工号签到")  # the other counter's pad


def test_call_number_transfer_hold_and_call_back(rig: PadRig) -> None:
    rig.issue("SB-001", 3)
    rig.press(1, Key.LOGIN, "1001")
    rig.press(3, Key.LOGIN, "1002")
    rig.settle()
    rig.press(1, Key.CALL_NUMBER, "3")  # digits only: the counter's prefix, zero-padded
    rig.expect(1, "A003 已呼叫", "等候 2 人")
    rig.press(1, Key.TRANSFER, "2")  # a counter number typed on the pad
    rig.expect(1, "空闲")
    assert rig.query("SELECT target_counter FROM tickets WHERE number = 'A003'") == [("2",)]
    rig.press(3, Key.CALL_NUMBER, "A003")
    rig.expect(3, "A003 已呼叫")
    rig.press(1, Key.CALL_NEXT)
    rig.expect(1, "A001 已呼叫")
    rig.press(1, Key.TRANSFER, "1")  # to its own counter: set aside (挂起)
    rig.expect(1, "空闲 挂起1个")
    rig.press(1, Key.CALL_NUMBER, "001")  # a number held here is called back
    rig.expect(1, "A001 已呼叫")
    rig.press(1, Key.TRANSFER, "YB-001")  # a service code
    rig.expect(1, "空闲")
    assert rig.query("SELECT service, state FROM tickets WHERE number = 'A001'") == [
        ("YB-001", "waiting")
    ]
    rig.press(1, Key.CALL_NEXT)
    rig.expect(1, "A002 已呼叫")
    rig.press(1, Key.TRANSFER, "SB-999")
    rig.expect(1, "转移失败", "无业务 SB-999")
    rig.press(1, Key.CALL_NUMBER, "A999")
    rig.expect(1, "没有 A999 号", "请核对号码")
    rig.settle()
    keys = rig.pad_keys()
    assert len(keys) == len(set(keys))


def test_the_evaluator_rates_the_finished_ticket_once(rig: PadRig) -> None:
    rig.issue("SB-001", 2)
    for key, arg in [(Key.LOGIN, "1001"), (Key.CALL_NEXT, ""), (Key.FINISH, "")]:
        rig.press(1, key, arg)
        rig.settle()
    assert wait_for(lambda: rig.sim.v1[2].eval_ticket == "A001")
    rig.sim.drop_replies(2, 1)  # the reply carrying the rating is lost once
    assert rig.sim.rate(2, 5) is not None
    rig.expect(1, "评价：非常满意", "A001")
    rig.settle()
    rig.press(1, Key.EVAL_REQUEST)  # ask again for the same ticket
    assert wait_for(lambda: rig.sim.v1[2].eval_ticket == "A001")
    rig.sim.rate(2, 2)
    rig.expect(1, "A001 号已评价", "每号只能评一次")
    rig.settle()
    assert rig.query("SELECT number, counter, staff, rating FROM evaluations") == [
        ("A001", "1", "1001", 5)
    ]
    rig.sim.press(2, Key.NO_RATING)  # a timeout with no evaluation running: nothing to rate
    rig.settle()
    assert len(rig.query("SELECT * FROM evaluations")) == 1


def test_eval_request_with_nothing_to_rate(rig: PadRig) -> None:
    rig.press(1, Key.LOGIN, "1001")
    rig.settle()
    rig.press(1, Key.EVAL_REQUEST)
    rig.expect(1, "没有可评价的号")
    rig.press(3, Key.LOGIN, "1002")
    rig.press(3, Key.EVAL_REQUEST)  # counter 2 has no evaluator
    rig.expect(3, "未配置评价器")


def test_counter_display_follows_the_counter(rig: PadRig) -> None:
    rig.expect(4, "3号窗口", "暂停服务")
    rig.issue("YB-001")
    rig.client.execute("sign_in", {"counter": "3", "staff": "2001"})
    rig.expect(4, "3号窗口", "欢迎光临")
    rig.client.execute("call_next", {"counter": "3"})
    rig.expect(4, "3号窗口", "请 B001 号")


def test_a_restarted_pad_and_master_show_the_retained_state_at_once(rig: PadRig) -> None:
    rig.issue("SB-001", 2)
    rig.press(1, Key.LOGIN, "1001")
    rig.press(1, Key.CALL_NEXT)
    rig.expect(1, "A001 已呼叫", "等候 1 人")
    rig.sim.reboot(1)  # the pad lost its display
    assert rig.display(1) == ("", "")
    rig.expect(1, "A001 已呼叫", "等候 1 人", timeout=3.0)
    rig.settle()
    rig.stop_pads()
    rig.client.execute("start", {"counter": "1"})  # changed while no master runs
    rig.sim.reboot(1)
    rig.start_pads()
    rig.expect(1, "A001 办理中", "等候 1 人", timeout=3.0)


def test_the_pads_follow_only_their_counters_and_the_catalog(rig: PadRig) -> None:
    rig.issue("SB-001")
    rig.client.execute("sign_in", {"counter": "5", "staff": "3001"})  # a counter with no pad
    rig.press(1, Key.LOGIN, "1001")
    rig.expect(1, "空闲", "等候 1 人")
    cache = rig.service.cache
    assert cache.catalog is not None and cache.counter("1") is not None
    assert cache.counter("2") is not None and cache.counter("3") is not None
    assert cache.board is None  # republished at every call: not needed here
    assert cache.counter("5") is None


def test_a_staff_double_press_calls_one_citizen(tmp_path: Path) -> None:
    """Issue 18: two CALL NEXT 30 ms apart (a bouncing key, two taps) used to finish the
    citizen just called and call the next. With the hall's rule on (2 s), the second press
    is refused as just_called: one citizen called, nobody finished, the pad says so."""
    r = PadRig(tmp_path, {1: ("1", PAD)}, notice_seconds=1.0, double_press_seconds=2.0)
    try:
        r.issue("SB-001", 3)
        r.press(1, Key.LOGIN, "1001")
        r.settle()
        r.press(1, Key.CALL_NEXT)
        r.press(1, Key.CALL_NEXT)  # the same staff member's finger, at once
        r.settle()
        assert r.called("1") == ["A001"]
        finished = r.query("SELECT count(*) FROM events WHERE type = 'ticket.finished'")
        assert finished == [(0,)]
    finally:
        r.close()
