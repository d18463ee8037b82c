"""The kiosk and the display started exactly as their units start them, on a headless screen.

Run by deploy/screen-check.sh (see there for the options). For each role it reads
/etc/systemd/system/hall-<role>.service and starts its ExecStart= (cage and the role) with the
unit's Environment= lines, as its User=, Group= and SupplementaryGroups=, with its UMask=, its
RuntimeDirectory= and a private /tmp, and a notify socket as systemd gives one. Added, and
only for the headless screen: WLR_BACKENDS=headless, WLR_RENDERER=pixman,
WLR_LIBINPUT_NO_DEVICES=1. Not exercised here: the tty, the logind seat (PAMName=login) and
the DRM screen, which need a real screen.

"The first screen" is what a citizen sees when the hall opens, with the hub running: the
kiosk's home screen with the hall's services (the kiosk logs "kiosk ready" once it has the
hub's catalog), and the display's board (the display's presence is "up" on the hall bus:
it has subscribed and so has the hub's retained board). Then a screenshot with grim, and the
checks: the picture is the output's size, the window covers all of it (no compositor black
at the edges or corners), it is not blank, and no title bar (a band of text and buttons
across the top, as Qt's own decorations draw) is there.

Standard library and the installed software's PySide6 (QImage reads the PNG); no hall.* import,
so this keeps working while the product's packages move.
"""

from __future__ import annotations

import argparse
import grp
import json
import os
import pwd
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HEADLESS = {"WLR_BACKENDS": "headless", "WLR_RENDERER": "pixman", "WLR_LIBINPUT_NO_DEVICES": "1"}
# wlroots logs each scan-out it is refused while a screen copy is pending (screencopy-hold.py)
KNOWN_NOISE = ("Basic output test failed", "drmGetDevices2 failed")
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
SELF = Path(__file__).resolve().parent
sys.path.insert(0, str(SELF))  # run with python -I: its neighbour by path
from screen_judge import Report, analyse, judge  # noqa: E402


@dataclass
class Unit:
    path: Path
    exec_start: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    user: str = "root"
    group: str = ""
    groups: list[str] = field(default_factory=list)
    runtime_dirs: list[str] = field(default_factory=list)
    runtime_mode: int = 0o755
    umask: int = 0o022
    no_new_privs: bool = False


def parse_unit(path: Path) -> Unit:
    """The [Service] settings the check needs, read as systemd reads them (several
    Environment= lines add up; quotes group words; a trailing backslash continues a line)."""
    unit = Unit(path)
    section = ""
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        if section != "Service" or "=" not in line:
            continue
        key, value = (part.strip() for part in line.split("=", 1))
        if key == "ExecStart":
            unit.exec_start = shlex.split(value.lstrip("@-:+!"))
        elif key == "Environment":
            for word in shlex.split(value):
                name, _, val = word.partition("=")
                unit.env[name] = val
        elif key == "User":
            unit.user = value
        elif key == "Group":
            unit.group = value
        elif key == "SupplementaryGroups":
            unit.groups += value.split()
        elif key == "RuntimeDirectory":
            unit.runtime_dirs += value.split()
        elif key == "RuntimeDirectoryMode":
            unit.runtime_mode = int(value, 8)
        elif key == "UMask":
            unit.umask = int(value, 8)
        elif key == "NoNewPrivileges":
            unit.no_new_privs = value in ("yes", "true", "1", "on")
    return unit


def as_user(unit: Unit) -> list[str]:
    """setpriv arguments for the unit's user, groups and NoNewPrivileges."""
    group = unit.group or grp.getgrgid(pwd.getpwnam(unit.user).pw_gid).gr_name
    cmd = ["setpriv", "--reuid", unit.user, "--regid", group]
    cmd += ["--groups", ",".join(unit.groups)] if unit.groups else ["--clear-groups"]
    if unit.no_new_privs:
        cmd.append("--no-new-privs")
    return [*cmd, "--"]


def wait_for(what: str, test: Any, timeout: float, alive: Any) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if test():
            return True
        if not alive():
            print(f"   the role stopped while waiting for {what}", flush=True)
            return False
        time.sleep(0.1)
    print(f"   no {what} within {timeout:.0f} s", flush=True)
    return False


def presence_up(hall: str, config: str, role_id: str) -> bool:
    done = subprocess.run(
        [hall, "doctor", "--json", "--only", "hall-bus", "--config", config],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    try:
        results = json.loads(done.stdout)["results"]
        seen = next(r for r in results if r["check"] == "hall-bus")["details"]["presence"]
    except (ValueError, KeyError, StopIteration, TypeError):
        return False
    entry = seen.get(role_id) if isinstance(seen, dict) else None
    return isinstance(entry, dict) and entry.get("status") == "up"


def role_id(config: str, role: str) -> str:
    import tomllib

    with open(config, "rb") as f:
        section = tomllib.load(f).get(role, {})
    return str(section.get("id", f"{role}-1"))


def run_role(role: str, args: argparse.Namespace, report: Report) -> None:
    unit = parse_unit(Path(args.units) / f"hall-{role}.service")
    print(f"\n== {role}: {unit.path}", flush=True)
    print(f"   ExecStart: {shlex.join(unit.exec_start)}", flush=True)
    print(f"   Environment: {' '.join(f'{k}={v}' for k, v in unit.env.items())}", flush=True)
    print(f"   as {unit.user}:{unit.group} +{','.join(unit.groups)}", flush=True)
    if not report.check(
        bool(unit.exec_start) and Path(unit.exec_start[0]).name == "cage",
        f"{role}: the unit runs the role under cage",
    ):
        return
    user = pwd.getpwnam(unit.user)
    work = Path(args.work) / role
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    os.chown(work, user.pw_uid, user.pw_gid)
    runtime = [Path("/run") / d for d in unit.runtime_dirs]
    for d in runtime:
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(mode=unit.runtime_mode, parents=True)
        os.chown(d, user.pw_uid, user.pw_gid)
        d.chmod(unit.runtime_mode)
    notify_path = work / "notify"
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(notify_path))
    notify_path.chmod(0o777)
    notify.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)  # who sent READY=1
    notify.setblocking(False)

    env = {
        "PATH": SYSTEMD_PATH,
        "HOME": user.pw_dir,
        "USER": unit.user,
        "LOGNAME": unit.user,
        "SHELL": user.pw_shell,
        "NOTIFY_SOCKET": str(notify_path),
        **({"RUNTIME_DIRECTORY": ":".join(map(str, runtime))} if runtime else {}),
        **unit.env,
        **HEADLESS,
    }
    xdg = Path(env.get("XDG_RUNTIME_DIR", str(work)))
    # the unit's PrivateTmp=yes: a /tmp of its own
    private_tmp = 'mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp && exec "$@"'
    cmd = ["unshare", "--mount", "--propagation", "private", "--"]
    cmd += ["sh", "-c", private_tmp, "sh", *as_user(unit), *unit.exec_start]
    log_path = Path(args.out) / f"{role}.log"
    log = log_path.open("wb")
    mask = unit.umask
    started = time.monotonic()
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=lambda: os.umask(mask),
    )
    hold: subprocess.Popen[bytes] | None = None
    ready_from: list[int] = []

    def alive() -> bool:
        return proc.poll() is None

    def notified() -> bool:
        try:
            while True:
                data, anc, _flags, _addr = notify.recvmsg(4096, socket.CMSG_SPACE(12))
                if "READY=1" in data.decode(errors="replace").split("\n"):
                    creds = [c for lvl, typ, c in anc if typ == socket.SCM_CREDENTIALS]
                    ready_from.append(struct.unpack("iII", creds[0][:12])[0] if creds else 0)
        except BlockingIOError:
            pass
        return bool(ready_from)

    try:
        sockets: list[Path] = []

        def compositor() -> bool:
            sockets[:] = sorted(p for p in xdg.glob("wayland-*") if p.is_socket())
            return bool(sockets)

        if not report.check(
            wait_for("Wayland socket", compositor, 15, alive),
            f"{role}: cage started as {unit.user} (its socket {sockets[0] if sockets else '-'})",
        ):
            return
        display_env = {"XDG_RUNTIME_DIR": str(xdg), "WAYLAND_DISPLAY": sockets[0].name}
        helper = work / "screencopy-hold.py"
        shutil.copy(SELF / "screencopy-hold.py", helper)
        helper.chmod(0o644)
        if not args.no_hold:
            hold = subprocess.Popen(
                [*as_user(unit), "python3", str(helper), "--seconds", str(args.timeout * 3)],
                env={"PATH": SYSTEMD_PATH, **display_env},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        uids = process_uids(proc.pid)
        report.check(
            bool(uids) and all(u == user.pw_uid for u in uids),
            f"{role}: every process of the role runs as {unit.user} (uids {sorted(set(uids))})",
        )
        if not report.check(
            wait_for("READY=1", notified, args.timeout, alive)
            and ready_from[0] not in (0, proc.pid),
            f"{role}: READY=1 from the role (pid {ready_from[0] if ready_from else '-'}, "
            f"cage is {proc.pid}) in {time.monotonic() - started:.1f} s: the window is shown",
        ):
            return
        if role == "kiosk":
            first = "the home screen (log: kiosk ready)"

            def shown() -> bool:
                return b"kiosk ready" in log_path.read_bytes()
        else:
            rid = role_id(args.config, role)
            first = f"the board ({rid} is up on the hall bus)"

            def shown() -> bool:
                return presence_up(args.hall, args.config, rid)

        report.check(
            wait_for(first, shown, args.timeout, alive),
            f"{role}: {first} after {time.monotonic() - started:.1f} s",
        )
        time.sleep(args.settle)
        png_tmp = work / f"{role}.png"
        shot = subprocess.run(
            [*as_user(unit), "grim", str(png_tmp)],
            env={"PATH": SYSTEMD_PATH, **display_env},
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        png = Path(args.out) / f"{role}.png"
        if not report.check(
            shot.returncode == 0 and png_tmp.exists(),
            f"{role}: grim screenshot {png} {shot.stderr.strip()}",
        ):
            return
        shutil.copy(png_tmp, png)
        facts = analyse(png)
        print(f"   {json.dumps(facts)}", flush=True)
        judge(role, facts, report)
        report.check(alive(), f"{role}: still running when the screenshot was taken")
    finally:
        stop(proc)
        if hold is not None:
            stop(hold)
            out = hold.stdout.read().decode(errors="replace").split() if hold.stdout else []
            report.check(
                out[:1] == ["holding"],
                f"{role}: screen copies kept cage composing ({out[0] if out else 'no output'})",
            )
        log.close()
        notify.close()
        for d in runtime:
            shutil.rmtree(d, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    text = log_path.read_text(encoding="utf-8", errors="replace")
    noise = sum(1 for line in text.splitlines() if any(n in line for n in KNOWN_NOISE))
    bad = [
        line
        for line in text.splitlines()
        if any(w in line for w in ("Traceback", "Could not load the Qt platform", "[ERROR]"))
        and not any(n in line for n in KNOWN_NOISE)
    ]
    report.check(
        not bad,
        f"{role}: no errors in its log {log_path} ({noise} lines of known wlroots noise)",
        errors=bad[:5],
    )


def process_uids(pid: int) -> list[int]:
    """Real uids of `pid`'s session (cage and its child), once cage has dropped to the user."""
    uids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
            if os.getsid(int(status.parent.name)) != pid:
                continue
        except (OSError, ValueError):
            continue
        name = next((ln.split()[1] for ln in text.splitlines() if ln.startswith("Name:")), "")
        if name in ("unshare", "sh"):
            continue
        uids += [int(ln.split()[1]) for ln in text.splitlines() if ln.startswith("Uid:")]
    return uids


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)
    except ProcessLookupError:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="out/screen-check", help="screenshots, logs, summary")
    parser.add_argument("--units", default="/etc/systemd/system", help="the installed units")
    parser.add_argument("--roles", default="kiosk,display")
    parser.add_argument("--config", default="/etc/hall/hall.toml")
    parser.add_argument("--hall", default="/opt/hall/current/bin/hall")
    parser.add_argument("--work", default="/run/hall-screen-check")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds for each wait")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds before the shot")
    parser.add_argument(
        "--no-hold",
        action="store_true",
        help="no pending screen copy (shows why one is needed: see screencopy-hold.py)",
    )
    args = parser.parse_args()
    Path(args.out).mkdir(parents=True, exist_ok=True)
    Path(args.work).mkdir(parents=True, exist_ok=True)
    Path(args.work).chmod(0o755)
    report = Report()
    for role in args.roles.split(","):
        run_role(role.strip(), args, report)
    shutil.rmtree(args.work, ignore_errors=True)
    summary = Path(args.out) / "summary.json"
    summary.write_text(json.dumps(report.lines, ensure_ascii=False, indent=1) + "\n")
    n = len(report.lines)
    print(f"\nscreen-check: {n - report.failed} of {n} checks ok; {summary}", flush=True)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
