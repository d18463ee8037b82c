"""A whole pads role for tests: a LocalHall hub, simulated devices on a pty behind a
stable path (so the adapter can be unplugged), and the real master and pads service."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from appliance.local import LocalHall, Transport
from counter_pad import frames_v1 as v1
from counter_pad.keys import Key
from counter_pad.memory import SqlitePadMemory
from counter_pad.runner import Pads, build
from counter_pad.settings import PadsSection
from counter_pad.simulator import PadSimulator, Profile, open_pty
from hall.bus.interface import Message
from hall.core.timekeeping import FixedClock, at_local
from hall.devices import Device
from hall.hubapi import protocol as p

TZ = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 27)  # a Friday
SIM_TYPES = {
    "call_pad": v1.DeviceType.CALL_PAD,
    "evaluator": v1.DeviceType.EVALUATOR,
    "display": v1.DeviceType.COUNTER_DISPLAY,
}
Devices = Mapping[int, tuple[str, str]]  # address -> (counter, kind)


def wait_for(cond: Callable[[], bool], timeout: float = 5.0, step: float = 0.01) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()


def many_counters_config(folder: Path, n: int) -> Path:
    """The sample hall with ``n`` counters, each serving SB-001 and YB-001."""
    from appliance.local import sample_config_dir

    path = sample_config_dir(folder)
    text = path.read_text(encoding="utf-8")
    text = text[: text.index("[[counters]]")]
    for i in range(1, n + 1):
        text += f'[[counters]]\nid = "{i}"\nservices = ["SB-001", "YB-001"]\n\n'
    path.write_text(text, encoding="utf-8")
    return path


def open_clock() -> FixedClock:
    return FixedClock(at_local(DAY, "09:30", TZ))


class Line:
    """Simulated devices on a pty reached through a symlink: the adapter's stable path."""

    def __init__(
        self, path: Path, devices: Devices, profile: Profile, baud: int, seed: int = 7
    ) -> None:
        self.path = path
        self.shown: dict[int, list[tuple[str, str]]] = {a: [] for a in devices}
        link, slave = open_pty()
        os.symlink(slave, path)
        kinds = {a: SIM_TYPES[k] for a, (_, k) in devices.items()}
        self.sim = PadSimulator(
            link, kinds, profile=profile, baud=baud, seed=seed, on_display=self._shown
        ).start()

    def _shown(self, address: int, lines: tuple[str, str]) -> None:
        self.shown[address].append(lines)

    def unplug(self) -> None:
        self.sim.unplug()
        self.path.unlink()

    def replug(self) -> None:
        link, slave = open_pty()
        os.symlink(slave, self.path)
        self.sim.replug(link)

    def close(self) -> None:
        self.sim.unplug()
        self.path.unlink(missing_ok=True)


class PadRig:
    def __init__(
        self,
        tmp_path: Path,
        devices: Devices,
        *,
        profile: Profile = "v1",
        baud: int = 115200,
        transport: Transport = "inproc",
        config_path: Path | None = None,
        notice_seconds: float = 5.0,
        start: bool = True,
        pads_extra: dict[str, Any] | None = None,
        double_press_seconds: float = 0.0,
    ) -> None:
        self.tmp = tmp_path
        self.devices = devices
        # The hall's clock stands still here: calls at one counter come "at once", which the
        # double-press rule would refuse; only the test of that rule turns it on.
        self.hall = LocalHall(
            tmp_path / "hall",
            transport=transport,
            clock=open_clock(),
            config_path=config_path,
            queue={"double_press_seconds": double_press_seconds},
        )
        # the pad line under test is an enrolled device of the hall: every counter is its own
        counters = frozenset(c.id for c in self.hall.cfg.counters)
        self.hall.devices.add(Device("pads-1", "pads", counters))
        self.line = Line(tmp_path / "ttyPADS", devices, profile, baud)
        self.sim = self.line.sim
        self.section: dict[str, Any] = {
            "notice_seconds": notice_seconds,
            "buses": [
                {
                    "name": "b1",
                    "port": str(self.line.path),
                    "profile": profile,
                    "baud": baud,
                    "devices": [
                        {"address": a, "counter": c, "kind": k} for a, (c, k) in devices.items()
                    ],
                }
            ],
            **(pads_extra or {}),
        }
        self.cfg = self.hall.cfg.model_copy(
            update={"pads": PadsSection.model_validate(self.section)}
        )
        self.memory = SqlitePadMemory(tmp_path / "pads.db")
        self.tool_bus, self.client = self.hall.connect("tool-1", "tool")
        self._lock = threading.Lock()
        self.calls: list[dict[str, Any]] = []
        self.tool_bus.subscribe(p.CALL_EVENT, self._on_call)
        self.pads: Pads | None = None
        if start:
            self.start_pads()

    def _on_call(self, msg: Message) -> None:
        with self._lock:
            self.calls.append(dict(msg.payload))

    def called(self, counter: str | None = None) -> list[str]:
        with self._lock:
            return [
                c["number"]
                for c in self.calls
                if not c["recall"] and (counter is None or c["counter"] == counter)
            ]

    # ------------------------------------------------------------ the pads role

    def start_pads(self, memory: Any = None, **build_opts: Any) -> Pads:
        self.pads_bus = self.hall.bus("pads-1", "pads")
        memory = self.memory if memory is None else memory
        self.pads = build(self.cfg, self.pads_bus, memory, **build_opts).start()
        return self.pads

    def stop_pads(self) -> None:
        if self.pads is not None:
            self.pads.stop()
            self.pads_bus.close()
            self.pads = None

    @property
    def service(self) -> Any:
        assert self.pads is not None
        return self.pads.service

    # ------------------------------------------------------------ the hub away and back

    def hub_down(self) -> None:
        """The hub stops answering (its process is gone; the hall bus stays up)."""
        self.hall.hub.stop()

    def hub_up(self) -> None:
        """A new hub on the same store and bus, as after a restart."""
        from hub.service import Hub

        old = self.hall.hub
        self.hall.hub = Hub(
            old.bus,
            self.hall.store,
            hall_name=self.hall.cfg.hall.name,
            notice=self.hall.cfg.hub.notice,
            masked_names=self.hall.cfg.hub.masked_names,
            devices=old.devices,
            city_key=old.city_key,
        )
        self.hall.hub.start()

    # ------------------------------------------------------------ actions and checks

    def issue(self, service: str = "SB-001", n: int = 1) -> list[str]:
        return [str(self.client.execute("issue", {"service": service})["number"]) for _ in range(n)]

    def press(self, address: int, key: Key, arg: str = "") -> None:
        assert self.sim.press(address, key, arg) is not None

    def display(self, address: int) -> tuple[str, str]:
        return self.sim.display(address)

    def expect(
        self, address: int, line1: str, line2: str | None = None, timeout: float = 3.0
    ) -> None:
        ok = wait_for(
            lambda: (
                self.display(address)[0] == line1
                and (line2 is None or self.display(address)[1] == line2)
            ),
            timeout,
        )
        assert ok, f"pad {address} shows {self.display(address)}, expected {(line1, line2)}"

    def settle(self, timeout: float = 5.0) -> None:
        """Every press taken, answered by the hub and acknowledged to its device."""
        addrs = list(self.devices)
        assert wait_for(
            lambda: all(self.sim.pending_events(a) == 0 for a in addrs) and self.service.idle(),
            timeout,
        ), {a: self.sim.pending_events(a) for a in addrs}

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """Read the hub's database (a connection of its own; WAL lets it read alongside),
        its tables brought up to the log first (the hub's tick does it every second)."""
        import sqlite3

        self.hall.flush_tables()

        conn = sqlite3.connect(self.hall.cfg.database_path)
        try:
            return list(conn.execute(sql, args).fetchall())
        finally:
            conn.close()

    def pad_keys(self) -> list[str]:
        """The idempotency keys of pad presses the hub has stored (the hub keeps each under
        its device: `<device>:<key>`)."""
        rows = self.query("SELECT key FROM idempotency WHERE key LIKE '%:pad/%'")
        return [r[0].split(":", 1)[1] for r in rows]

    def counter_state(self, counter: str) -> dict[str, Any]:
        self.hall.settle()
        state = self.hall.hub.snapshot()[p.counter_topic(counter)]
        return dict(state)

    def close(self) -> None:
        self.stop_pads()
        self.line.close()
        self.memory.close()
        self.hall.close()
