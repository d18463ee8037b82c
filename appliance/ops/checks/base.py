"""The doctor's checks: small functions in a registry, each returning results with a fix.

A check gets a `Context` (the config, the box's roles, options, and the seams to the
system: commands, clock, `which`) and returns one or more `Result`s. Status ``fail`` means
the hall cannot open until it is fixed; ``warn`` is worth fixing but does not stop the hall
(the city link, a scanner); ``skip`` says why nothing was checked.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from appliance import config as hall_config
from appliance.ops.bundle import ROLES

log = logging.getLogger(__name__)

Status = Literal["ok", "warn", "fail", "skip"]
ORDER: dict[str, int] = {"ok": 0, "skip": 0, "warn": 1, "fail": 2}

# Each role's systemd unit (deploy/install.sh installs them from systemd/).
UNITS: dict[str, str] = {
    "hub": "hall-hub.service",
    "kiosk": "hall-kiosk.service",
    "display": "hall-display.service",
    "pads": "hall-pads.service",
    "sync": "hall-sync.service",
}
BROKER_UNIT = "mosquitto.service"


@dataclass(frozen=True)
class Result:
    check: str
    status: Status
    summary: str
    fix: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"check": self.check, "status": self.status, "summary": self.summary}
        if self.fix:
            out["fix"] = self.fix
        if self.details:
            out["details"] = self.details
        return out


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str = ""


Runner = Callable[[Sequence[str], float], Ran]


def run_command(argv: Sequence[str], timeout: float) -> Ran:
    """Run a system command; a missing program is return code 127, a timeout 124."""
    try:
        done = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError:
        return Ran(127, "", f"{argv[0]}: not found")
    except subprocess.TimeoutExpired:
        return Ran(124, "", f"{argv[0]}: no answer in {timeout:g} s")
    return Ran(done.returncode, done.stdout, done.stderr)


def systemd_booted() -> bool:
    """sd_booted(3): the box runs systemd as its init."""
    return os.path.isdir("/run/systemd/system")


@dataclass
class Options:
    roles: tuple[str, ...] | None = None
    test_print: bool = False
    test_speech: bool = False
    scan_pads: bool = False
    timeout: float = 3.0
    min_free_mb: float = 200
    warn_free_mb: float = 1024
    cert_warn_days: int = 30
    mosquitto_conf: Path = Path("/etc/mosquitto/mosquitto.conf")  # the hub box's broker


@dataclass
class Context:
    config_path: Path
    options: Options = field(default_factory=Options)
    run: Runner = run_command
    which: Callable[[str], str | None] = shutil.which
    booted: Callable[[], bool] = systemd_booted
    wall: Callable[[], float] = time.time
    cfg: hall_config.HallConfig | None = None
    config_error: str = ""
    marker: dict[str, Any] | None = None
    roles: tuple[str, ...] = ROLES
    roles_source: str = "default"
    service_user: str = "hall-hub"  # the hub's unit's User=: it must be able to write its files
    extras: dict[str, Any] = field(default_factory=dict)

    def load(self) -> None:
        """Read the config and the box's roles: --roles, else the config's `[hall] roles`
        when the file says it, else provisioned.json (installs from before that key), else
        all roles."""
        try:
            self.cfg = hall_config.load(self.config_path)
        except hall_config.ConfigError as exc:
            self.config_error = str(exc)
        marker = self.config_path.parent / "provisioned.json"
        try:
            self.marker = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.marker = None
        if self.options.roles is not None:
            self.roles, self.roles_source = self.options.roles, "--roles"
        elif self.cfg is not None and self.cfg.roles_given:
            self.roles = tuple(r for r in ROLES if r in self.cfg.hall.roles)
            self.roles_source = f"{self.config_path} [hall] roles"
        elif self.marker and isinstance(self.marker.get("roles"), list):
            roles = [r for r in self.marker["roles"] if r in ROLES]
            self.roles, self.roles_source = tuple(roles), str(marker)
        else:
            self.roles, self.roles_source = ROLES, "default (all roles; not provisioned)"

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def roles_known(self) -> bool:
        """The box's roles come from its config, provisioned.json or --roles (not a guess)."""
        return not self.roles_source.startswith("default")


CheckFn = Callable[[Context], list[Result]]


@dataclass(frozen=True)
class Check:
    name: str
    fn: CheckFn
    roles: tuple[str, ...]  # empty: every box
    needs_config: bool


REGISTRY: list[Check] = []


def check(
    name: str, *, roles: tuple[str, ...] = (), needs_config: bool = True
) -> Callable[[CheckFn], CheckFn]:
    """Register a check: run on boxes with one of ``roles`` (any box when empty)."""

    def register(fn: CheckFn) -> CheckFn:
        REGISTRY.append(Check(name, fn, roles, needs_config))
        return fn

    return register


def run_checks(ctx: Context, only: Sequence[str] | None = None) -> list[Result]:
    """Every registered check in order; a check that crashes is a failed result."""
    results: list[Result] = []
    for c in REGISTRY:
        if only is not None and c.name not in only:
            continue
        if c.roles and not any(ctx.has(r) for r in c.roles):
            results.append(Result(c.name, "skip", f"not a role of this box ({'/'.join(c.roles)})"))
            continue
        if c.needs_config and ctx.cfg is None:
            results.append(Result(c.name, "skip", "needs a valid config"))
            continue
        started = time.monotonic()
        try:
            out = c.fn(ctx)
        except Exception as exc:
            log.warning("doctor: check %s crashed: %r", c.name, exc)
            out = [
                Result(
                    c.name,
                    "fail",
                    f"the check itself failed: {type(exc).__name__}: {exc}",
                    "report this to the project with the output of `hall -vv doctor`",
                )
            ]
        elapsed = time.monotonic() - started
        if elapsed > 5:
            log.info("doctor: check %s took %.1f s", c.name, elapsed)
        results.extend(out)
    return results


def can_open(results: Sequence[Result]) -> bool:
    return not any(r.status == "fail" for r in results)


def worst(results: Sequence[Result]) -> Status:
    if not results:
        return "ok"
    return max(results, key=lambda r: ORDER[r.status]).status
