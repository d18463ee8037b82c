"""The hub's trust, put together from the whole config: its own box's roles are devices
without anybody enrolling them, the technician on the hub box is `tool-local`, the boxes a
technician enrolled are in the registry file ([hub] devices), and the city's public key is
the one provisioning gave the kiosk."""

from __future__ import annotations

from appliance.config import HallConfig
from hall import tokens
from hall.devices import Device, DeviceRegistry, HubTrust
from hall.settings import ConfigError

LOCAL_TOOL = "tool-local"


def local_devices(cfg: HallConfig) -> list[Device]:
    out = [Device(LOCAL_TOOL, "tool")]
    roles = set(cfg.hall.roles)
    if "kiosk" in roles:
        out.append(Device(cfg.kiosk.id, "kiosk"))
    if "display" in roles:
        out.append(Device(cfg.display.id, "display"))
    if "sync" in roles:
        out.append(Device(cfg.sync.id, "sync"))
    if "pads" in roles:
        counters = {d.counter for b in cfg.pads.buses for d in b.devices}
        counters |= {k.counter for k in cfg.pads.keypads}
        out.append(Device(cfg.pads.id, "pads", frozenset(counters)))
    return out


def hub_trust(cfg: HallConfig) -> HubTrust:
    registry = DeviceRegistry(local_devices(cfg), source=cfg.base / cfg.hub.devices)
    key = None
    if cfg.kiosk.city_public_key:
        try:
            key = tokens.load_public_key(cfg.kiosk.city_public_key)
        except tokens.KeyConfigError as exc:
            raise ConfigError(f"{cfg.source}: kiosk.city_public_key: {exc}") from None
    return HubTrust(registry, key)
