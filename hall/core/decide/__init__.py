"""The rules: a command and the state become events (or a refusal). Pure, no IO.

`decide(state, command, now)` never changes `state`; the store appends the events it
returns in one transaction and then applies them. The result is what the person who asked
is told (ticket number, how many ahead, the estimated wait, why this ticket was called …).
One module per kind of command: the day (`day`), taking tickets (`issuing`), appointments
(`checkin`), counters (`counter`), the city and the devices (`city`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hall.core import commands as c
from hall.core.decide import checkin, city, counter, day, issuing, remote
from hall.core.decide.base import Decision, state_zh
from hall.core.decide.day import close_day, day_rollover, housekeeping_due
from hall.core.decide.issuing import ticket_id_for
from hall.core.errors import Refused
from hall.core.state import HallState
from hall.core.timekeeping import Reading

__all__ = [
    "Decision",
    "close_day",
    "day_rollover",
    "decide",
    "housekeeping_due",
    "state_zh",
    "ticket_id_for",
]

_DECIDERS: dict[type, Callable[[HallState, Any, Reading], Decision]] = {
    c.IssueTicket: issuing.issue,
    c.ConfirmPrinted: issuing.confirm_printed,
    c.VoidTicket: issuing.void_ticket,
    c.Housekeep: day.housekeep,
    c.CheckIn: checkin.check_in,
    c.SignIn: counter.sign_in,
    c.SignOut: counter.sign_out,
    c.Pause: counter.pause,
    c.Resume: counter.resume,
    c.CallNext: counter.call_next,
    c.CallNumber: counter.call_number,
    c.Recall: counter.recall,
    c.Skip: counter.skip,
    c.Reinstate: counter.reinstate,
    c.Start: counter.start,
    c.Finish: counter.finish,
    c.Hold: counter.hold,
    c.CallBack: counter.call_back,
    c.Transfer: counter.transfer,
    c.Evaluate: counter.evaluate,
    c.ApplyAppointment: checkin.apply_appointment,
    c.ApplyCatalog: city.apply_catalog,
    c.ConfigureCounters: city.configure_counters,
    c.ReportDevice: city.report_device,
    c.CloseDay: day.close_day_cmd,
    c.IssueRemote: remote.issue_remote,
    c.MarkArrived: remote.mark_arrived,
    c.Watch: remote.watch,
    c.AcceptLoss: day.accept_loss,
    c.RewindClock: day.rewind_clock,
    c.RecordDenial: city.record_denial,
}


def decide(state: HallState, cmd: c.Command, now: Reading) -> Decision:
    """The events a command makes, or `Refused`. Never changes `state`."""
    decider = _DECIDERS.get(type(cmd))
    if decider is None:
        raise Refused("unknown_command", f"unknown command {type(cmd).__name__}", "")
    return decider(state, cmd, now)
