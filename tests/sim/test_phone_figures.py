"""The demo's 云叫号 figures are computed from the hall's event log, not assumed: which
remote tickets were passed over, and the estimate error split by it."""

from __future__ import annotations

from typing import Any

from appliance.sim.phones import estimate_error_split, passed_over


def ev(seq: int, kind: str, minute: int, **data: Any) -> dict[str, Any]:
    return {"seq": seq, "type": kind, "at": f"2026-11-27T10:{minute:02d}:00+08:00", "data": data}


def issued(seq: int, minute: int, tid: str, est: int, service: str = "SB-001") -> dict[str, Any]:
    key = 1796000000.0 + seq  # later issue, later order key
    return ev(seq, "ticket.issued", minute, ticket_id=tid, service=service, order_key=key,
              est_wait_min=est)  # fmt: skip


LOG = [
    issued(1, 0, "R1", 10),  # remote, arrives at 05, called at 12: before its turn
    issued(2, 0, "R2", 10),  # remote, arrives at 30: W1 behind it was called at 12
    issued(3, 1, "W1", 12),
    issued(4, 1, "X1", 0, service="YB-001"),  # another service: never passes R3
    issued(5, 2, "R3", 5),  # remote, arrives at 20 after X1 was called: not passed over
    ev(6, "ticket.called", 3, ticket_id="X1"),
    ev(7, "ticket.arrived", 5, ticket_id="R1"),
    ev(8, "ticket.called", 12, ticket_id="R1"),
    ev(9, "ticket.called", 12, ticket_id="W1"),
    ev(10, "ticket.arrived", 20, ticket_id="R3"),
    ev(11, "ticket.called", 21, ticket_id="R3"),
    ev(12, "ticket.arrived", 30, ticket_id="R2"),
    ev(13, "ticket.called", 31, ticket_id="R2"),
]
REMOTE = {"R1", "R2", "R3"}


def test_passed_over_means_a_ticket_behind_it_in_its_service_was_called_first() -> None:
    assert passed_over(LOG, REMOTE) == {"R2"}


def test_the_estimate_error_is_split_by_what_the_log_says() -> None:
    split = estimate_error_split(LOG, REMOTE)
    assert split["all"]["tickets"] == 3
    # R1: 10 − 12 = −2; R3: 5 − 19 = −14 → before their turn, mean −8
    assert split["arrived_before_turn"]["tickets"] == 2
    assert split["arrived_before_turn"]["mean_signed"] == -8.0
    assert split["passed_over"] == {"tickets": 1, "mean_abs": 21.0, "mean_signed": -21.0,
                                    "p90_abs": 21.0}  # fmt: skip
    # by issue + estimate: R1 (05 ≤ 10) only; R3 (20 > 07) and R2 (30 > 10) after it
    assert split["arrived_by_estimate"]["tickets"] == 1
    assert split["arrived_after_estimate"]["tickets"] == 2
