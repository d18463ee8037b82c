"""Telling the hub about the display's speech and audio: `report_device`, off every GUI thread.

The announcer reports a change of health (`drivers.speech.Health`) once; this reporter sends
it as `report_device {device: "<display id>/speech", kind: "speech", ok, state, detail}`
from its own thread, so neither the screen nor the announcer ever waits on the hub. While
the hub cannot be reached the newest state of each device is kept and sent when it can;
older states of the same device are superseded, never queued up.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from drivers.speech import Health
from hall.hubapi.client import CommandRefused, HallClient, HubUnreachable

_log = logging.getLogger(__name__)

RETRY_S = 2.0


class DeviceReporter:
    def __init__(self, client: HallClient, display_id: str, *, retry_s: float = RETRY_S) -> None:
        self.client = client
        self.display_id = display_id
        self.retry_s = retry_s
        self.sent: list[dict[str, Any]] = []  # what the hub accepted, in order (for tests)
        self._pending: dict[str, dict[str, Any]] = {}
        self._cond = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="device-report", daemon=True)
        self._thread.start()

    def report(self, health: Health) -> None:
        """Queue a health change; returns at once (called on the announcer's thread)."""
        device = f"{self.display_id}/{health.kind}"
        args: dict[str, Any] = {
            "device": device,
            "kind": health.kind,
            "ok": health.ok,
            "state": health.state,
        }
        if health.detail:
            args["detail"] = health.detail[:200]
        with self._cond:
            self._pending[device] = args
            self._cond.notify_all()

    def wait_sent(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending, timeout)

    def close(self, timeout: float = 2.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._stopping or bool(self._pending))
                if self._stopping:
                    return
                device, args = next(iter(self._pending.items()))
            if self._send(args):
                with self._cond:
                    if self._pending.get(device) is args:  # not superseded meanwhile
                        del self._pending[device]
                    self._cond.notify_all()
            else:
                with self._cond:
                    self._cond.wait_for(lambda: self._stopping, self.retry_s)

    def _send(self, args: dict[str, Any]) -> bool:
        try:
            self.client.execute("report_device", args)
        except HubUnreachable:
            _log.info("hub unreachable; %s will be reported later", args["device"])
            return False
        except CommandRefused as exc:
            _log.warning("hub refused the report of %s: %s", args["device"], exc.code)
            return True  # a refusal will not change by retrying
        _log.info("reported %s ok=%s state=%s", args["device"], args["ok"], args["state"])
        self.sent.append(args)
        return True
