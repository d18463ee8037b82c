"""Checks of the hall bus's trust (docs/SECURITY.md): no anonymous client, no plain TCP off
loopback, every role of this box with its password, no certificate about to end.

`hall doctor` tries the hall's Mosquitto as an intruder would (without a password) and reads
the broker's settings on the hub box: Mosquitto 2.0.11 opens a listener on every interface
(plain TCP, port 1883) for a listener setting written before the first `listener` line, so
the settings are read as Mosquitto reads them, include_dir and all.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from appliance.ops import busfiles, certs
from appliance.ops.checks.base import Context, Result, check
from hall.bus.login import BusLogin, LoginError, key_path, login_for
from hall.hubapi.acl import HUB_ID, probe_user
from hall.mqtt import try_connect
from hall.mqttvalues import ConnectOptions, TlsFiles

# Mosquitto 2.0 options that belong to a listener: before any `listener` line they open
# the default listener (every interface, port 1883, plain TCP unless a certfile is given).
LISTENER_OPTIONS = frozenset(
    [
        "bind_address",
        "bind_interface",
        "cafile",
        "capath",
        "certfile",
        "ciphers",
        "ciphers_tls1.3",
        "crlfile",
        "dhparamfile",
        "http_dir",
        "keyfile",
        "max_connections",
        "max_qos",
        "max_topic_alias",
        "mount_point",
        "port",
        "protocol",
        "psk_hint",
        "require_certificate",
        "socket_domain",
        "tls_engine",
        "tls_keyform",
        "tls_version",
        "use_identity_as_username",
        "use_subject_as_username",
        "use_username_as_clientid",
        "websockets_headers_size",
        "websockets_log_level",
    ]
)


def role_ids(ctx: Context) -> list[tuple[str, str]]:
    """(role, device id) of this box's roles."""
    assert ctx.cfg is not None
    c = ctx.cfg
    ids = {"hub": HUB_ID, "kiosk": c.kiosk.id, "display": c.display.id, "pads": c.pads.id}
    ids["sync"] = c.sync.id
    return [(r, ids[r]) for r in ctx.roles if r in ids]


def probe_login(ctx: Context) -> tuple[BusLogin | None, str]:
    """The doctor's own login (`<device>.doctor`, with a password of this box), and its id."""
    assert ctx.cfg is not None
    candidates = [d for _r, d in role_ids(ctx)] + ["tool-local"]
    if os.environ.get("HALL_DEVICE"):
        candidates.append(os.environ["HALL_DEVICE"].strip())
    for device in candidates:
        try:
            if not key_path(ctx.cfg, device).is_file():
                continue
            login = login_for(ctx.cfg, device)
        except (LoginError, ValueError):
            continue
        return login.as_user(probe_user(device)), probe_user(device)
    return None, f"doctor-{os.getpid()}"


def _tls(ctx: Context) -> TlsFiles | None:
    assert ctx.cfg is not None
    b = ctx.cfg.bus
    return TlsFiles(str(ctx.cfg.base / b.ca_file), check_hostname=False) if b.tls else None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class Listener:
    port: int
    address: str
    tls: bool
    where: str


def read_listeners(conf: Path) -> tuple[list[Listener], list[str]]:
    """The listeners of a Mosquitto config (include_dir followed) and its problems."""
    listeners: list[Listener] = []
    problems: list[str] = []
    anonymous = False
    current: Listener | None = None

    def walk(path: Path) -> None:
        nonlocal current, anonymous
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            problems.append(f"{path}: cannot read ({exc.strerror or exc})")
            return
        for n, line in enumerate(lines, 1):
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            key, args = words[0], words[1:]
            if key == "include_dir" and args:
                for sub in sorted(Path(args[0]).glob("*.conf")):
                    walk(sub)
            elif key == "listener" and args:
                addr = args[1] if len(args) > 1 else ""
                current = Listener(int(args[0]), addr, False, f"{path}:{n}")
                listeners.append(current)
            elif key in LISTENER_OPTIONS and current is None:
                current = Listener(1883, "", key == "certfile", f"{path}:{n} ({key})")
                listeners.append(current)
                problems.append(
                    f"{path}:{n}: `{key}` before any `listener` line opens Mosquitto's default "
                    "listener: plain TCP on every interface, port 1883"
                )
            elif key == "certfile" and current is not None:
                current.tls = True
            elif key == "allow_anonymous" and args:
                anonymous = args[0] == "true"

    walk(conf)
    if anonymous:
        problems.append(f"{conf}: allow_anonymous true: anyone on the LAN may use the hall bus")
    return listeners, problems


@check("bus-security")
def bus_security(ctx: Context) -> list[Result]:
    assert ctx.cfg is not None
    return [
        _anonymous(ctx),
        *_transport(ctx),
        *_credentials(ctx),
        *_certificates(ctx),
    ]


def _anonymous(ctx: Context) -> Result:
    assert ctx.cfg is not None
    b = ctx.cfg.bus
    opts = ConnectOptions(
        host=b.host,
        port=b.port,
        client_id=f"doctor-anonymous-{os.getpid()}",
        tls=_tls(ctx),
        connect_timeout=ctx.options.timeout,
        label="probe",
    )
    got = try_connect(opts, ctx.options.timeout)
    if got.ok:
        return Result(
            "bus-anonymous",
            "fail",
            f"the hall bus at {b.host}:{b.port} lets a client in without a password: anyone "
            "on the LAN could call, void or close the day",
            "on the hub box: deploy/install.sh again (its Mosquitto settings refuse anonymous "
            "clients), then `hall device setup`",
        )
    if got.problem == "refused":
        return Result("bus-anonymous", "ok", "the hall bus refuses a client without a password")
    return Result("bus-anonymous", "skip", f"the hall bus cannot be asked: {got.detail}")


def _transport(ctx: Context) -> list[Result]:
    assert ctx.cfg is not None
    b = ctx.cfg.bus
    out: list[Result] = []
    if not _is_loopback(b.host) and not b.tls:
        out.append(
            Result(
                "bus-transport",
                "fail",
                f"this box reaches the hall bus at {b.host}:{b.port} over plain TCP: passwords "
                "and requests cross the LAN readable",
                "enroll it again (`hall device add` on the hub box, `hall device join` here): "
                "TLS to port 8883",
            )
        )
    if ctx.has("hub"):
        listeners, problems = read_listeners(ctx.options.mosquitto_conf)
        open_plain = [
            lis for lis in listeners if not lis.tls and not _is_loopback(lis.address or "0.0.0.0")
        ]
        for lis in open_plain:
            problems.append(
                f"{lis.where}: listener {lis.port} {lis.address or '(every interface)'} without TLS"
            )
        if problems:
            out.append(
                Result(
                    "bus-transport",
                    "fail",
                    "the hall's Mosquitto: " + "; ".join(problems),
                    "plain TCP belongs on 127.0.0.1 only; other boxes use the TLS listener "
                    "(`hall device setup --lan`); deploy/install.sh writes the settings again",
                    {"listeners": [lis.__dict__ for lis in listeners]},
                )
            )
    if not out:
        where = "loopback" if _is_loopback(b.host) else "TLS"
        out.append(
            Result("bus-transport", "ok", f"the hall bus over {where}; no plain TCP off loopback")
        )
    return out


def _credentials(ctx: Context) -> list[Result]:
    assert ctx.cfg is not None
    missing, loose = [], []
    for _role, device in role_ids(ctx):
        path = key_path(ctx.cfg, device)
        try:
            st = path.stat()
        except FileNotFoundError:
            missing.append(f"{device} ({path})")
            continue
        if st.st_mode & stat.S_IROTH:
            loose.append(str(path))
    if missing:
        fix = (
            "on this hub box: `hall device setup`"
            if ctx.has("hub")
            else "enroll it: `hall device add ID --role ROLE` on the hub box, then "
            "`hall device join BUNDLE` here"
        )
        return [
            Result("bus-credentials", "fail", "no hall-bus password for " + ", ".join(missing), fix)
        ]
    if loose:
        return [
            Result(
                "bus-credentials",
                "fail",
                "readable by every user: " + ", ".join(loose),
                "`hall device setup` (hub box) or `chmod 0640` and the role's group",
            )
        ]
    return [Result("bus-credentials", "ok", "every role of this box has its own hall-bus password")]


def _certificates(ctx: Context) -> list[Result]:
    assert ctx.cfg is not None
    files = busfiles.BusFiles(ctx.cfg.base)
    wanted: list[tuple[str, Path]] = []
    if ctx.cfg.bus.tls or ctx.has("hub"):
        wanted.append(("the hall's CA", ctx.cfg.base / ctx.cfg.bus.ca_file))
    if ctx.has("hub") and files.server_cert.exists():
        wanted.append(("the broker's certificate", files.server_cert))
    now = certs.utc(ctx.wall())
    out: list[Result] = []
    for what, path in wanted:
        try:
            until = busfiles.not_after(path.read_bytes())
        except FileNotFoundError:
            if ctx.cfg.bus.tls:
                out.append(
                    Result(
                        "bus-certificate",
                        "fail",
                        f"{what} is missing: {path}",
                        "`hall device join` again",
                    )
                )
            continue
        except ValueError:
            out.append(Result("bus-certificate", "fail", f"{what} is not a certificate: {path}"))
            continue
        days = (until - now) / dt.timedelta(days=1)
        detail = {"file": str(path), "not_after": until.isoformat(), "days_left": round(days, 1)}
        if days < 0:
            out.append(
                Result(
                    "bus-certificate",
                    "fail",
                    f"{what} ended on {until:%Y-%m-%d}",
                    _renew(ctx),
                    detail,
                )
            )
        elif days < ctx.options.cert_warn_days:
            out.append(
                Result(
                    "bus-certificate",
                    "warn",
                    f"{what} ends in {days:.0f} days ({until:%Y-%m-%d})",
                    _renew(ctx),
                    detail,
                )
            )
        else:
            out.append(
                Result("bus-certificate", "ok", f"{what} valid until {until:%Y-%m-%d}", "", detail)
            )
    return out


def _renew(ctx: Context) -> str:
    if ctx.has("hub"):
        return "on this hub box: `hall device setup --renew`"
    return "on the hub box: `hall device setup --renew` (the hall's CA: see docs/SECURITY.md)"
