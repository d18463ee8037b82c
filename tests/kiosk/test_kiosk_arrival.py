"""A ticket taken on a phone (云叫号) checked in at the kiosk, against a real hub (LocalHall):
its QR token scanned, or its number and the phone's last four digits typed; every refusal
in the citizen's words; and the screens, driven by touches.

The remote tickets come from a client with the sync role, as the city's ticket-request
reaches the hub through sync (contract v1.1, "Remote tickets and ticket progress").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from appliance.local import LocalHall
from hall import tokens
from hall.core.timekeeping import FixedClock
from hall.hubapi.client import HallClient
from kiosk.checkin import ArrivalRequest, Keys, Problem, classify, describe, typed_arrival
from kiosk.model import Screen
from kiosk.outcomes import Arrived, Refusal
from kiosk.texts import arrival_refusal_text
from tests.kiosk.conftest import HALL_ID, TZ, MakeTicketing, at, db_rows
from tests.kiosk.onscreen import Screen_

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def city(hall: LocalHall) -> HallClient:
    """The hall's sync, handing the city's ticket-requests to the hub."""
    _bus, client = hall.connect("sync-1", "sync")
    return client


def remote(city: HallClient, request_id: str, tail: str = "5678") -> Any:
    """A number taken on a phone for 社会保障卡申领."""
    args = {"request_id": request_id, "service": "SB-001", "phone_tail": tail}
    return city.execute("issue_remote", args)


def ticket_token(
    key: Ed25519PrivateKey, ticket_id: str, *, hall: str = HALL_ID, exp: float | None = None
) -> str:
    """The QR text the city shows on the phone for an ok ticket-result."""
    expires = datetime.fromtimestamp(exp if exp is not None else at("23:59"), TZ)
    claims = {
        "kind": "ticket",
        "ticket_id": ticket_id,
        "hall": hall,
        "date": "2026-11-27",
        "exp": expires.isoformat(),
    }
    return tokens.sign_token(claims, key)


def arrivals(hall: LocalHall) -> list[str]:
    rows = db_rows(hall, "SELECT type, data FROM events WHERE type = 'ticket.arrived'")
    return [str(data) for _type, data in rows]


# --- what a scan or typed number means (pure) -------------------------------------------


def test_a_ticket_token_is_told_from_an_appointment_token(
    city_key: Ed25519PrivateKey, keys: Keys
) -> None:
    now = at("09:30")
    token = ticket_token(city_key, "T-1")
    assert classify(token, keys, now=now) == ArrivalRequest({"how": "scan", "token": token})
    assert describe(token, keys, now=now) == ("scan_ticket_token_ok", {})
    expired = ticket_token(city_key, "T-1", exp=now - 1)
    found = classify(expired, keys, now=now)
    assert isinstance(found, Problem) and (found.key, found.code) == (
        "ticket_token",
        "token_expired",
    )
    forged = ticket_token(Ed25519PrivateKey.generate(), "T-1")
    found = classify(forged, keys, now=now)
    assert isinstance(found, Problem) and found.code == "token_invalid"
    unknown_kind = tokens.sign_token({"kind": "parcel", "id": "x"}, city_key)
    found = classify(unknown_kind, keys, now=now)
    assert isinstance(found, Problem) and found.code == "token_malformed"
    assert "5678" not in repr(typed_arrival("A45", "5678", 3))  # the tail stays out of logs


@pytest.mark.parametrize(
    ("number", "tail", "width", "expected"),
    [
        ("A45", "5678", 3, {"how": "kiosk", "number": "A045", "phone_tail": "5678"}),
        ("a7", "0001", 4, {"how": "kiosk", "number": "A0007", "phone_tail": "0001"}),
        ("B1000", "1234", 3, {"how": "kiosk", "number": "B1000", "phone_tail": "1234"}),
        ("A", "5678", 3, "arrival_number_incomplete"),
        ("45", "5678", 3, "arrival_number_incomplete"),
        ("Ａ45", "5678", 3, "arrival_number_incomplete"),
        ("A1234567", "5678", 3, "arrival_number_incomplete"),
        ("A45", "567", 3, "arrival_tail_incomplete"),
        ("A45", "５６７８", 3, "arrival_tail_incomplete"),
    ],
)
def test_a_typed_number_and_tail(number: str, tail: str, width: int, expected: Any) -> None:
    found = typed_arrival(number, tail, width)
    if isinstance(expected, dict):
        assert found == ArrivalRequest(expected)
    else:
        assert found == Problem(expected)


# --- the hub's answers, through the kiosk's own operation --------------------------------


def test_a_scanned_ticket_arrives_once(
    hall: LocalHall, city: HallClient, make_ticketing: MakeTicketing, city_key: Ed25519PrivateKey
) -> None:
    ticket = remote(city, "RT1")
    k = make_ticketing()
    token = ticket_token(city_key, ticket["ticket_id"])
    first = k.mark_arrived({"how": "scan", "token": token})
    assert isinstance(first, Arrived) and not first.already
    assert (first.ticket_id, first.number, first.service) == (
        ticket["ticket_id"],
        ticket["number"],
        "SB-001",
    )
    assert first.waiting_ahead == 0  # the hub says its place
    again = k.mark_arrived({"how": "scan", "token": token})
    assert isinstance(again, Arrived) and again.already
    (event,) = arrivals(hall)
    assert '"how":"scan"' in event.replace(" ", "")
    assert not db_rows(hall, "SELECT 1 FROM events WHERE type = 'ticket.printed'")


def test_the_number_and_the_phone_tail(
    hall: LocalHall, city: HallClient, make_ticketing: MakeTicketing
) -> None:
    ticket = remote(city, "RT1", tail="5678")
    _bus, kiosk = hall.connect("kiosk-9", "kiosk")
    walk_in = kiosk.execute("issue", {"service": "SB-001"})["number"]
    k = make_ticketing()
    wrong_tail = k.mark_arrived({"how": "kiosk", "number": ticket["number"], "phone_tail": "0000"})
    not_remote = k.mark_arrived({"how": "kiosk", "number": walk_in, "phone_tail": "5678"})
    nobody = k.mark_arrived({"how": "kiosk", "number": "A099", "phone_tail": "5678"})
    # one answer for all three: a number does not tell whose ticket it is
    assert {type(o) for o in (wrong_tail, not_remote, nobody)} == {Refusal}
    assert {o.code for o in (wrong_tail, not_remote, nobody)} == {"not_yours"}  # type: ignore[union-attr]
    assert arrivals(hall) == []
    ok = k.mark_arrived({"how": "kiosk", "number": ticket["number"], "phone_tail": "5678"})
    assert isinstance(ok, Arrived) and (ok.ticket_id, ok.number) == (
        ticket["ticket_id"],
        ticket["number"],
    )
    assert ok.waiting_ahead == 0 and not ok.already  # the walk-in came after it
    assert '"how":"kiosk"' in arrivals(hall)[0].replace(" ", "")


def test_tokens_the_hub_refuses(
    hall: LocalHall, city: HallClient, make_ticketing: MakeTicketing, city_key: Ed25519PrivateKey
) -> None:
    """The hub checks every token itself: another hall's, an expired one (the kiosk would
    have said so first), a forged one, one for a ticket the hall never issued."""
    ticket = remote(city, "RT1")
    k = make_ticketing()

    def scan(token: str) -> str:
        out = k.mark_arrived({"how": "scan", "token": token})
        assert isinstance(out, Refusal), out
        return out.code

    assert scan(ticket_token(city_key, ticket["ticket_id"], hall="410411-XC01")) == "other_hall"
    assert scan(ticket_token(city_key, ticket["ticket_id"], exp=at("09:00"))) == "token_expired"
    forged = ticket_token(Ed25519PrivateKey.generate(), ticket["ticket_id"])
    assert scan(forged) == "token_invalid"
    assert scan(ticket_token(city_key, "T-never-issued")) == "unknown_ticket"
    assert arrivals(hall) == []


def test_too_late_voided_and_done(
    hall: LocalHall,
    city: HallClient,
    make_ticketing: MakeTicketing,
    city_key: Ed25519PrivateKey,
    clock: FixedClock,
) -> None:
    late, voided, served = remote(city, "RT1"), remote(city, "RT2"), remote(city, "RT3")
    k = make_ticketing()
    _bus, tool = hall.connect("tool-1", "tool")
    tool.execute("void", {"ticket_id": voided["ticket_id"], "reason": "staff"})
    assert isinstance(k.mark_arrived(_scan(city_key, served)), Arrived)
    _bus, pads = hall.connect("pads-1", "pads")
    pads.execute("sign_in", {"counter": "1", "staff": "1001"})
    called = pads.execute("call_next", {"counter": "1"})
    assert called["number"] == served["number"]  # the only one arrived: the others wait
    pads.execute("finish", {"counter": "1"})
    clock.advance(61 * 60)  # past arrive_by (queue.remote_arrive_minutes = 60)
    hall.hub.tick()
    codes = {}
    for name, t in (("late", late), ("voided", voided), ("served", served)):
        out = k.mark_arrived(_scan(city_key, t))
        assert isinstance(out, Refusal), (name, out)
        codes[name] = out.code
    assert codes == {"late": "no_show", "voided": "ticket_voided", "served": "ticket_done"}


def _scan(key: Ed25519PrivateKey, ticket: dict[str, Any]) -> dict[str, str]:
    return {"how": "scan", "token": ticket_token(key, ticket["ticket_id"])}


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("not_yours", "号码与手机尾号不符"),
        ("other_hall", "这是其他大厅的号，不能在本大厅签到"),
        ("token_expired", "二维码已过期"),
        ("no_show", "已超过到场时间，此号已取消，请重新取号"),
        ("ticket_voided", "此号已作废"),
        ("ticket_done", "此号已办结"),
        ("unknown_ticket", "没有找到这个号"),
    ],
)
def test_each_refusal_in_the_citizens_words(code: str, message: str) -> None:
    zh, hint = arrival_refusal_text(code, "hub words", "hub hint", "zh")
    assert (zh, bool(hint)) == (message, True)
    en, _ = arrival_refusal_text(code, "hub words", "", "en")
    assert en.isascii() and en != "hub words"
    assert arrival_refusal_text("hub_fault", "系统故障", "稍后再试", "zh") == (
        "系统故障",
        "稍后再试",
    )


# --- on screen --------------------------------------------------------------------------


def test_scan_the_phone_on_the_home_screen(
    make_kiosk: Callable[..., Screen_],
    hall: LocalHall,
    city: HallClient,
    keys: Keys,
    city_key: Ed25519PrivateKey,
) -> None:
    """The phone's QR code at the scanner, from the home screen, with the printer out of
    paper: checked in at once (nothing to print), the number and the board's figure."""
    ahead = remote(city, "RT0")
    ticket = remote(city, "RT1")
    s = make_kiosk(keys=keys)
    s.qtbot.waitUntil(lambda: "等候 2 人" in s.find("service-SB-001").text())
    s.m.printer.learn(_paper_out())
    s.m.scanned(ticket_token(city_key, ticket["ticket_id"]) + "\r\n")
    s.wait_for(Screen.ARRIVED)
    shown = s.labels()
    assert "签到成功" in shown and ticket["number"] in shown
    # the hub's reply says its place in line
    assert "前面还有" in "\n".join(shown) or "前面没有人等候" in "\n".join(shown)
    s.shot("kiosk-arrived-qr")
    s.m.scanned(ticket_token(city_key, ticket["ticket_id"]))  # scanned again
    s.qtbot.waitUntil(lambda: "您已签到，请留意叫号" in s.labels())
    assert len(arrivals(hall)) == 1 and ahead["number"] != ticket["number"]


def _paper_out() -> Any:
    from kiosk.outcomes import PrinterDown

    return PrinterDown("paper_out")


def test_type_the_number_and_the_tail_by_touch(
    make_kiosk: Callable[..., Screen_], hall: LocalHall, city: HallClient
) -> None:
    ticket = remote(city, "RT1", tail="5678")
    number = ticket["number"]  # "A001"
    s = make_kiosk()
    s.click("open-checkin")
    s.wait_for(Screen.CHECKIN)
    s.click("open-arrival")
    s.wait_for(Screen.ARRIVAL)
    s.click(f"arrival-{number[0]}")
    s.click("arrival-1")  # A1: the kiosk writes it as the hub does, A001
    s.click("arrival-submit")  # 下一步
    for digit in "5670":  # a typing mistake
        s.click(f"arrival-{digit}")
    assert "手机尾号  5 6 7 0" in s.shown() and "号码  A 1 _ _" in s.shown()
    s.click("arrival-submit")
    s.wait_for(Screen.REFUSED)
    assert "号码与手机尾号不符" in s.labels()
    s.shot("kiosk-arrival-not-yours")
    s.click("arrival-retry")  # back with what was typed
    s.wait_for(Screen.ARRIVAL)
    s.click("arrival-tail")
    s.click("arrival-delete")
    s.click("arrival-8")
    s.click("arrival-submit")
    s.wait_for(Screen.ARRIVED)
    assert "签到成功" in s.labels() and number in s.labels()
    assert '"how":"kiosk"' in arrivals(hall)[0].replace(" ", "")


def test_typing_on_a_hardware_keypad_and_in_elder_mode(
    make_kiosk: Callable[..., Screen_], hall: LocalHall, city: HallClient, clock: FixedClock
) -> None:
    ticket = remote(city, "RT1", tail="0042")
    s = make_kiosk()
    s.click("elder")
    s.m.arrival.open()
    s.wait_for(Screen.ARRIVAL)
    for key in [ticket["number"][0], *ticket["number"][1:], "enter", "0", "0", "4", "2"]:
        s.m.keypad(key)
    s.m.keypad("enter")
    s.wait_for(Screen.ARRIVED)
    assert ticket["number"] in s.labels()
    s.shot("kiosk-arrived-elder")
    clock.advance(61 * 60)  # the next one arrives too late
    late = remote(city, "RT2", tail="1111")
    clock.advance(61 * 60)
    hall.hub.tick()
    s.click("home")
    s.m.arrival.open()
    for key in [*late["number"], "enter", "1", "1", "1", "1", "enter"]:
        s.m.keypad(key)
    s.wait_for(Screen.REFUSED)
    assert "已超过到场时间，此号已取消，请重新取号" in s.labels()
    assert not s.m.arrival.can_retry(s.m.results.outcome)  # nothing to correct


# --- the words of the arrived screen and of the guide (pure) -----------------------------


def test_the_arrived_screens_words(clock: FixedClock) -> None:
    from kiosk import guide, present
    from tests.kiosk.screens import ALREADY, ARRIVED, StandIn, make_model

    m = make_model(clock, StandIn())
    shown = present.arrived(m.router, m.hall, ARRIVED)
    assert (shown.title, shown.number, shown.wait) == ("签到成功", "A045", "")
    # no place in the reply, and the letter A is two services': the board's figure of each
    assert shown.ahead == "「社会保障卡申领」现有 12 人等候\n「养老保险参保登记」现在无需等候"
    named = Arrived("r1", "A045", service="SB-001")
    assert present.arrived(m.router, m.hall, named).ahead == "「社会保障卡申领」现有 12 人等候"
    placed = present.arrived(m.router, m.hall, ALREADY)
    assert placed.title == "您已签到，请留意叫号"
    assert (placed.ahead, placed.wait) == ("前面还有 11 人等候", "预计等待约 37 分钟")
    m.hall.set_board({})  # no board yet: nothing said rather than a made-up "no wait"
    assert present.arrived(m.router, m.hall, ARRIVED).ahead == ""
    said = guide.sentence_for("arrived", ALREADY, None, "")
    assert said is not None
    assert said.display == "您已签到，请留意叫号。您的号码是 A045 号，请在大厅等候，留意叫号"
