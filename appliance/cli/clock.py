"""`hall clock …`: what the hall thinks the time is, and bringing it back from the future.

    hall clock status [--json]      the system clock, NTP, the hall's last event, the verdict
    hall clock rewind [--yes]       a hall a wrong clock pushed into the future, back to now

The hall's time never goes backwards by itself (rule 7): a synchronised but wrong clock
(a bad NTP server, a wrong manual setting believed) can push it into the future, where
check-ins are refused as "not today". `rewind`, with the hub stopped and the system clock
right again, closes the future day and records `clock.rewound`; numbering and quotas of
today go on from what today already had.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import datetime

import click

from appliance import config
from appliance.cli.common import hold_database, load_config, open_store
from hall.clikit import EXIT_REFUSED, config_option, emit, fail, handle_errors, json_option
from hall.core import commands as c
from hall.core.timekeeping import PLAUSIBLE_FLOOR, judge, rfc3339
from hall.store.read import HallReader
from hall.system import kernel_clock_synchronized

VERDICTS = {
    "": "the system clock is believed",
    "not_set": "the system clock is not set (before this software was built): set it or start NTP",
    "behind": "the system clock is behind the hall's last event: the hall counts on from there",
    "jumped": "the system clock is far past the hall's last event and NTP is not synchronised: "
    "it is not believed until NTP confirms it (or set it right)",
}


@click.group("clock")
def clock_group() -> None:
    """The hall's time: status, and bringing a hall back from the future."""


def _last_event(cfg: config.HallConfig) -> tuple[int, float]:
    reader = HallReader.open(cfg.database_path)
    try:
        head = reader.log_head()
        return head.last_seq, head.last_ts or 0.0
    finally:
        reader.close()


@clock_group.command("status")
@config_option
@json_option
@handle_errors
def status(config_path: str, as_json: bool) -> None:
    """Say what the hall's time is and whether the system clock is believed."""
    cfg = load_config(config_path)
    wall = time.time()
    synced = kernel_clock_synchronized()
    seq, last_ts = _last_event(cfg) if cfg.database_path.exists() else (0, 0.0)
    why = judge(wall, last_ts, lambda: synced)
    ahead = last_ts - wall if last_ts > wall else 0.0
    last_at = rfc3339(last_ts, cfg.tz) if seq else None
    data = {
        "system_clock": rfc3339(wall, cfg.tz),
        "ntp_synchronized": synced,
        "last_event": {"seq": seq, "at": last_at},
        "believed": not why,
        "verdict": VERDICTS[why],
        "hall_ahead_s": round(ahead),
    }
    lines = [
        f"system clock   {data['system_clock']}  (NTP synchronised: {synced})",
        f"last event     {last_at or '-'}  (seq {seq})",
        f"verdict        {data['verdict']}",
    ]
    if ahead > 3600 and synced:
        lines.append(
            f"the hall is {ahead / 3600:.1f} h ahead of a synchronised clock: "
            "`hall clock rewind` brings it back (stop the hub first)"
        )
    emit(data, as_json, "\n".join(lines))


@clock_group.command("rewind")
@click.option("--yes", is_flag=True, help="Do it (without: say what would be done).")
@click.option(
    "--force", is_flag=True, help="Even though NTP does not say the system clock is right."
)
@config_option
@json_option
@handle_errors
def rewind(yes: bool, force: bool, config_path: str, as_json: bool) -> None:
    """Bring a hall that a wrong clock pushed into the future back to the system clock."""
    cfg = load_config(config_path)
    wall = time.time()
    if wall < PLAUSIBLE_FLOOR:
        fail("the system clock is not set: set it first (timedatectl set-time …)", EXIT_REFUSED)
    if kernel_clock_synchronized() is not True and not force:
        fail(
            "NTP does not say the system clock is right: fix NTP first "
            "(timedatectl timesync-status), or add --force if you set the clock by hand",
            EXIT_REFUSED,
        )
    with hold_database(cfg, "`hall clock rewind`", "Stop the hub first"), open_store(cfg) as store:
        last_ts = store.state.last_ts
        if last_ts <= wall:
            fail("the hall is not ahead of the system clock: nothing to rewind", EXIT_REFUSED)
        day = datetime.fromtimestamp(wall, cfg.tz).date()
        reader = HallReader.open(cfg.database_path)
        try:
            today = reader.tickets_of_day(day)
        finally:
            reader.close()
        serials: dict[str, int] = {}
        for t in today:
            serials[t.prefix] = max(serials.get(t.prefix, 0), t.serial)
        issued = dict(Counter(t.service for t in today))
        plan = {
            "hall_time": rfc3339(last_ts, cfg.tz),
            "back_to": rfc3339(wall, cfg.tz),
            "day": day.isoformat(),
            "numbers_go_on_above": serials,
        }
        if not yes:
            emit(
                {**plan, "done": False},
                as_json,
                lambda: (
                    f"the hall's time {plan['hall_time']} would go back to {plan['back_to']}; "
                    f"an open future day is closed first; numbers on {day} go on above "
                    f"{serials or 'nothing'}. Run again with --yes."
                ),
            )
            return
        out = store.execute(c.RewindClock(to_ts=wall, serials=serials, issued=issued))
    emit(
        {**plan, "done": True, "result": out.result},
        as_json,
        f"rewound to {plan['back_to']}; restart the hub (systemctl start hall-hub)",
    )
