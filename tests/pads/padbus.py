"""A bus on a pty pair: the real master against the simulator, for the pty tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping

from counter_pad import frames_v1 as v1
from counter_pad.keys import KeyEvent
from counter_pad.master import BusMaster, MasterSettings
from counter_pad.memory import InMemoryPadMemory, PadMemory
from counter_pad.port import SerialPort
from counter_pad.simulator import PadSimulator, open_pty


def wait_for(cond: Callable[[], bool], timeout: float = 3.0, step: float = 0.01) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()


class PadBus:
    """Simulated devices, one master thread, and what the master delivered."""

    def __init__(
        self,
        devices: Mapping[int, v1.DeviceType],
        baud: int = 115200,
        addresses: tuple[int, ...] | None = None,
        memory: PadMemory | None = None,
        seed: int = 7,
        auto_confirm: bool = True,
        booted_until_reply: bool = True,
        **settings: object,
    ) -> None:
        self.auto_confirm = auto_confirm
        link, self.path = open_pty()
        self.baud = baud
        self.sim = PadSimulator(
            link, devices, baud=baud, seed=seed, booted_until_reply=booted_until_reply
        ).start()
        self.link = link
        self.settings = MasterSettings(
            bus="t",
            addresses=addresses or tuple(sorted(devices)),
            baud=baud,
            **settings,  # type: ignore[arg-type]
        )
        self.memory = memory or InMemoryPadMemory()
        self.keys: list[KeyEvent] = []
        self.status_changes: list[tuple[int, bool]] = []
        self.stop_after_key = False
        self.fail_next_key = False
        self._lock = threading.Lock()
        self.master: BusMaster | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._port: SerialPort | None = None

    def start_master(self, memory: PadMemory | None = None) -> BusMaster:
        self._stop = threading.Event()
        self._port = SerialPort(self.path, self.baud)
        self.master = BusMaster(
            self._port,
            self.settings,
            memory or self.memory,
            self._on_key,
            lambda a, up: self.status_changes.append((a, up)),
            auto_confirm=self.auto_confirm,
        )
        self._thread = threading.Thread(target=self.master.run, args=(self._stop,), daemon=True)
        self._thread.start()
        return self.master

    def stop_master(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            assert not self._thread.is_alive()
        if self._port is not None:
            self._port.close()

    def _on_key(self, event: KeyEvent) -> None:
        if self.fail_next_key:
            self.fail_next_key = False
            raise RuntimeError("the hub's store is busy")
        with self._lock:
            self.keys.append(event)
        if self.stop_after_key:
            self._stop.set()

    def taken(self, address: int | None = None) -> list[KeyEvent]:
        with self._lock:
            return [k for k in self.keys if address is None or k.address == address]

    def online(self, address: int) -> bool:
        assert self.master is not None
        return self.master.status()[address].online

    def close(self) -> None:
        self.stop_master()
        self.sim.stop()
        self.link.close()
