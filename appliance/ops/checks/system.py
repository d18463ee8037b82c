"""Checks of the box: the clock (and NTP, where timedatectl can say) and the roles' units."""

from __future__ import annotations

from datetime import UTC, datetime

from appliance.ops.checks.base import BROKER_UNIT, UNITS, Context, Result, check
from hall.store.read import UNREADABLE, HallReader

PLAUSIBLE_FROM = datetime(2025, 1, 1, tzinfo=UTC).timestamp()
BEHIND_WARN_S = 300


def _last_event_ts(ctx: Context) -> float | None:
    if ctx.cfg is None or not ctx.has("hub") or not ctx.cfg.database_path.exists():
        return None
    try:
        with HallReader.open(ctx.cfg.database_path) as reader:
            return reader.log_head().last_ts
    except UNREADABLE:
        return None  # the database check says what is wrong with it


@check("clock", needs_config=False)
def clock(ctx: Context) -> list[Result]:
    now = ctx.wall()
    tz = ctx.cfg.tz if ctx.cfg else UTC
    shown = datetime.fromtimestamp(now, tz).isoformat(timespec="seconds")
    results: list[Result] = []
    if now < PLAUSIBLE_FROM:
        results.append(
            Result(
                "clock",
                "fail",
                f"the clock is not set (it says {shown})",
                "connect the box to a time server (`timedatectl set-ntp true`) or set it: "
                "`timedatectl set-time 'YYYY-MM-DD HH:MM'`; a new hall refuses to issue tickets "
                "until then",
            )
        )
    else:
        last = _last_event_ts(ctx)
        if last is not None and last - now > BEHIND_WARN_S:
            results.append(
                Result(
                    "clock",
                    "warn",
                    f"the clock is {(last - now) / 60:.0f} min behind the hall's last event",
                    "check NTP; the hall's own time counts on from its last event meanwhile",
                    {"now": shown},
                )
            )
        else:
            results.append(Result("clock", "ok", f"plausible ({shown})", "", {"now": shown}))
    results.append(_ntp(ctx))
    return results


def _ntp(ctx: Context) -> Result:
    if not ctx.booted():
        return Result("ntp", "skip", "systemd is not running here: NTP state unknown")
    ran = ctx.run(["timedatectl", "show"], ctx.options.timeout)
    if ran.returncode != 0:
        return Result("ntp", "skip", f"timedatectl cannot say: {ran.stderr.strip()[:120]}")
    values = dict(line.split("=", 1) for line in ran.stdout.splitlines() if "=" in line)
    synced = values.get("NTPSynchronized")
    if synced == "yes":
        return Result("ntp", "ok", "synchronised with a time server")
    fix = "`timedatectl set-ntp true`; the box needs to reach an NTP server (UDP 123)"
    if values.get("NTP") == "no":
        return Result("ntp", "warn", "NTP is switched off", fix)
    return Result("ntp", "warn", "not synchronised with a time server (yet)", fix)


@check("services", needs_config=False)
def services(ctx: Context) -> list[Result]:
    if not ctx.booted():
        return [Result("services", "skip", "systemd is not running here: no units to check")]
    units = [UNITS[r] for r in ctx.roles if r in UNITS]
    if ctx.has("hub"):
        units.insert(0, BROKER_UNIT)
    active = ctx.run(["systemctl", "is-active", *units], ctx.options.timeout).stdout.split()
    enabled = ctx.run(["systemctl", "is-enabled", *units], ctx.options.timeout).stdout.split()
    results: list[Result] = []
    for i, unit in enumerate(units):
        state = active[i] if i < len(active) else "unknown"
        boot = enabled[i] if i < len(enabled) else "unknown"
        details = {"active": state, "enabled": boot}
        name = f"service {unit}"
        if state == "active" and boot in ("enabled", "static", "alias", "indirect"):
            results.append(Result(name, "ok", "running, starts at boot", "", details))
        elif state == "active":
            results.append(
                Result(
                    name,
                    "warn",
                    f"running but {boot} at boot",
                    f"`systemctl enable {unit}`",
                    details,
                )
            )
        elif state in ("activating", "reloading"):
            results.append(
                Result(
                    name,
                    "warn",
                    f"{state} (starting)",
                    f"wait, then `systemctl status {unit}`",
                    details,
                )
            )
        else:
            results.append(
                Result(
                    name,
                    "fail",
                    f"not running ({state})",
                    f"`systemctl enable --now {unit}`; why it stopped: `journalctl -u {unit} -e`",
                    details,
                )
            )
    return results
