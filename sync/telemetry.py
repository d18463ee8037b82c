"""What the hall tells the city about itself: status, live load, health. Pure builders and a
throttle; the service publishes them."""

from __future__ import annotations

from typing import Any


def status_online(software: str, boot_id: str, since: str) -> dict[str, Any]:
    return {"v": 1, "online": True, "software": software, "boot_id": boot_id, "since": since}


STATUS_OFFLINE: dict[str, Any] = {"v": 1, "online": False}


def load_from_board(board: dict[str, Any] | None) -> dict[str, Any] | None:
    """The `services` and `open` of an `up/load` message from the hub's retained board
    (without `at`, so two loads compare equal when nothing changed)."""
    if not board or not isinstance(board.get("services"), list):
        return None
    services: dict[str, Any] = {}
    for s in board["services"]:
        code = s.get("code")
        if not isinstance(code, str):
            continue
        est = s.get("est_wait_min")
        services[code] = {
            "waiting": int(s.get("waiting") or 0),
            "est_wait_min": int(est) if isinstance(est, (int, float)) else None,
            "open_counters": int(s.get("open_counters") or 0),
        }
    is_open = any(c.get("state") == "open" for c in board.get("counters") or [])
    return {"open": is_open, "services": services}


class Throttle:
    """On change, at most once every `min_interval` seconds: `due(value, now)` says whether
    to publish now; a change inside the interval is published when the interval ends."""

    def __init__(self, min_interval: float) -> None:
        self.min_interval = min_interval
        self.last_value: Any = None
        self.last_at: float | None = None

    def due(self, value: Any, now: float) -> bool:
        if value is None or value == self.last_value:
            return False
        return self.last_at is None or now - self.last_at >= self.min_interval

    def sent(self, value: Any, now: float) -> None:
        self.last_value = value
        self.last_at = now

    def reset(self) -> None:
        """Publish the next value even if unchanged (after a reconnect), interval kept."""
        self.last_value = None


def health(
    at: str,
    *,
    devices: list[dict[str, Any]],
    roles: dict[str, Any] | None,
    hub_link: bool,
    sync: dict[str, Any],
) -> dict[str, Any]:
    role_states = {
        k: {"role": v.get("role"), "status": v.get("status")}
        for k, v in ((roles or {}).get("roles") or {}).items()
        if isinstance(v, dict)
    }
    return {
        "v": 1,
        "at": at,
        "hub": "up" if hub_link else "unreachable",
        "devices": [
            {"device": d["device"], "kind": d["kind"], "ok": d["ok"], "state": d["state"]}
            for d in devices
        ],
        "roles": role_states,
        "sync": sync,
    }


def health_signature(payload: dict[str, Any]) -> Any:
    """What counts as a change of health (not the time, not the figures that always move)."""
    return (
        payload.get("hub"),
        tuple((d["device"], d["ok"], d["state"]) for d in payload.get("devices", [])),
        tuple(sorted((k, v.get("status")) for k, v in payload.get("roles", {}).items())),
        tuple(f["fault"] for f in payload.get("sync", {}).get("faults", [])),
    )
