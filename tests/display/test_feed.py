"""From the hall bus to the display without Qt: the retained board at once, live calls only."""

from __future__ import annotations

import threading
import time
from typing import Any

from appliance.local import LocalHall
from display.calls import CallView
from display.feed import DisplayFeed
from drivers.speech import Call
from hall.hubapi import protocol as p
from hall.hubapi.client import HallClient

from .conftest import DOUBLE_PRESS_S, issue
from .helpers import call


class Recorder:
    def __init__(self) -> None:
        self.boards: list[dict[str, Any]] = []
        self.calls: list[CallView] = []
        self.links: list[bool] = []
        self.announced: list[Call] = []
        self.event = threading.Event()

    def board(self, b: dict[str, Any]) -> None:
        self.boards.append(b)

    def call(self, c: CallView, _t: float) -> None:
        self.calls.append(c)
        self.event.set()

    def announce(self, c: Call) -> bool:
        self.announced.append(c)
        return False

    def feed(self, hall: LocalHall) -> DisplayFeed:
        feed = DisplayFeed(
            hall.bus("display-1", "display"),
            on_board=self.board,
            on_call=self.call,
            on_link=self.links.append,
            announcer=self,
        )
        feed.start()
        return feed


def wait_until(check: Any, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


def test_retained_board_at_start_and_no_old_call_announced(
    hall: LocalHall, pad: HallClient
) -> None:
    issue(hall, "YB-001", "YB-001")
    pad.execute("call_next", {"counter": "3"})
    hall.settle()
    seen = Recorder()
    feed = seen.feed(hall)
    wait_until(lambda: seen.boards)
    assert [c["number"] for c in seen.boards[-1]["calls"]] == ["B001"]
    assert seen.links[0] is True
    time.sleep(0.1)
    assert seen.calls == [] and seen.announced == []  # B001 was called before we started
    hall.clock.advance(DOUBLE_PRESS_S)  # a later press, not a bounce
    pad.execute("call_next", {"counter": "3"})
    wait_until(lambda: seen.announced)
    assert seen.announced == [Call("B002", "3", None, False)]
    feed.close()


def test_live_calls_in_order_duplicates_and_bad_messages_dropped(hall: LocalHall) -> None:
    seen = Recorder()
    feed = seen.feed(hall)
    tool = hall.bus("tool-1", "tool")
    tool.publish(p.CALL_EVENT, call("B001", seq=1))
    tool.publish(p.CALL_EVENT, call("B001", seq=1))  # QoS 1 may deliver twice
    tool.publish(p.CALL_EVENT, {"number": "DROP TABLE", "counter": "3", "seq": 2})
    tool.publish(p.CALL_EVENT, call("J001", "9", seq=3, counter_name="婚姻登记处"))
    tool.publish(p.CALL_EVENT, call("B001", seq=4, recall=True))
    wait_until(lambda: len(seen.announced) == 3)
    assert [c.sentence for c in seen.calls] == [
        "请 B001 号 到 3 号窗口",
        "请 J001 号 到 婚姻登记处",
        "请 B001 号 到 3 号窗口",
    ]
    assert seen.announced[-1] == Call("B001", "3", None, True)
    assert feed.counts == {"calls": 3, "duplicates": 1, "refused": 1, "retained_ignored": 0}
    feed.close()


def test_link_changes_are_passed_on(hall: LocalHall) -> None:
    seen = Recorder()
    feed = seen.feed(hall)
    hall.broker.go_down()
    wait_until(lambda: seen.links[-1] is False)
    hall.broker.come_up()
    wait_until(lambda: seen.links[-1] is True)
    feed.close()


def test_a_phone_ticket_is_on_its_way_then_called_like_any_other(
    hall: LocalHall, pad: HallClient
) -> None:
    """云叫号: a number taken on a phone counts on the board as on its way until its citizen
    checks in at the kiosk; then it is called and announced as any ticket is."""
    _bus, sync = hall.connect("sync-1", "sync")
    remote = sync.execute(
        "issue_remote", {"request_id": "RT1", "service": "YB-001", "phone_tail": "5678"}
    )
    seen = Recorder()
    feed = seen.feed(hall)

    def yb() -> dict[str, Any]:
        return next(s for s in seen.boards[-1]["services"] if s["code"] == "YB-001")

    wait_until(lambda: seen.boards and yb()["waiting"] == 1)
    assert yb()["on_the_way"] == 1
    _bus, kiosk = hall.connect("kiosk-1", "kiosk")
    args = {"how": "kiosk", "number": remote["number"], "phone_tail": "5678"}
    kiosk.execute("mark_arrived", args)
    wait_until(lambda: yb()["on_the_way"] == 0)
    pad.execute("call_next", {"counter": "3"})
    wait_until(lambda: seen.announced)
    assert seen.announced == [Call(remote["number"], "3", None, False)]
    assert [c.number for c in seen.calls] == [remote["number"]]
    feed.close()
