"""Typed settings to devices: the printer, the keys, the inputs, the spoken guide. No Qt.

A setting that names something missing (a key file, a printer kind) raises ``StartupError``
with the key and the reason, before any window opens.
"""

from __future__ import annotations

import logging
import platform
from collections.abc import Callable
from pathlib import Path

from drivers.input import InputConfig
from hall import __version__, tokens
from kiosk.checkin import Keys
from kiosk.flow.router import ModelOptions
from kiosk.guide import Guide
from kiosk.settings import KioskConfig, KioskSection
from kiosk.ticketing import TicketingOptions

log = logging.getLogger(__name__)


class StartupError(Exception):
    """The kiosk cannot start with this configuration; the message says why."""


def resolve(cfg: KioskConfig, path: str) -> Path:
    p = Path(path)
    return p if p.is_absolute() else cfg.base / p


def load_keys(cfg: KioskConfig) -> Keys:
    k = cfg.kiosk
    try:
        public = tokens.load_public_key(k.city_public_key) if k.city_public_key else None
        secret = (
            tokens.load_hash_key(resolve(cfg, k.id_hash_key_file)) if k.id_hash_key_file else None
        )
    except tokens.KeyConfigError as exc:
        raise StartupError(f"{cfg.source}: kiosk: {exc}") from None
    if public is None:
        log.warning("no kiosk.city_public_key: QR check-in is off")
    if secret is None:
        log.warning("no kiosk.id_hash_key_file: identity-card check-in is off")
    return Keys(public, secret)


def input_configs(section: KioskSection) -> list[InputConfig]:
    return [
        InputConfig(
            name=i.name,
            kind=i.kind,
            role=i.role,
            path=i.path,
            match_name=i.match_name,
            baudrate=i.baudrate,
            grab=i.grab,
            reject_human_speed=i.reject_human_speed,
            max_key_gap_ms=float(i.max_key_gap_ms),
            min_length=i.min_length,
            retry_s=i.retry_seconds,
        )
        for i in section.inputs
    ]


def make_guide(cfg: KioskConfig, on_fault: Callable[[str, str], None]) -> Guide | None:
    """The elder-mode guide; the speech driver itself loads on its first sentence."""
    speech = cfg.kiosk.speech
    if speech.engine == "none":
        return None
    if speech.player == "file" and not speech.folder:
        raise StartupError(f"{cfg.source}: kiosk.speech: player 'file' needs folder")
    folder = resolve(cfg, speech.folder) if speech.folder else None

    def voice() -> tuple[object, object]:
        from drivers.speech import make_engine, make_player

        return make_engine(speech.engine), make_player(speech.player, folder=folder)

    return Guide(voice, deadline_s=speech.deadline_s, on_fault=on_fault)


def ticketing_options(cfg: KioskConfig) -> TicketingOptions:
    return TicketingOptions(
        kiosk_id=cfg.kiosk.id,
        hall_id=cfg.hall.id,
        hall_name=cfg.hall.name,
        ticket_url=cfg.kiosk.ticket_url,
        notice=cfg.kiosk.notice,
        tz=cfg.tz,
        print_failure=cfg.queue.print_failure,
        confirm_timeout=max(cfg.bus.request_timeout_s, 5.0),
    )


def versions(printer: str) -> tuple[tuple[str, str], ...]:
    from PySide6 import __version__ as qt_version

    return (
        ("hall", __version__),
        ("Python", platform.python_version()),
        ("Qt", qt_version),
        ("printer", printer),
    )


def model_options(cfg: KioskConfig, *, hours_check: bool, printer: str) -> ModelOptions:
    k = cfg.kiosk
    return ModelOptions(
        kiosk_id=k.id,
        hall_name=cfg.hall.name,
        tz=cfg.tz,
        language=k.language,
        idle_s=k.idle_seconds,
        countdown_s=k.countdown_seconds,
        result_s=k.result_seconds,
        elder_idle_s=k.elder_idle_seconds,
        green_channel=k.green_channel,
        green_services=frozenset(k.green_channel_services),
        technician_pin=k.technician_pin,
        navigation=k.navigation,
        hours_check=hours_check,
        elder_scale=k.elder_scale,
        printer_poll_s=k.printer.poll_seconds,
        versions=versions(printer),
        number_width=cfg.queue.number_width,
    )
