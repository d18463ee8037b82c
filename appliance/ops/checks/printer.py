"""The kiosk's ticket printer: present, its status (DLE EOT), a test page on request."""

from __future__ import annotations

import glob
import os
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from appliance.ops.checks.base import Context, Result, check

STABLE_NAME = "/dev/hall-printer"  # deploy/udev/90-hall.rules
STATUS_S = 5.0
"""The doctor's deadline for the printer's status answer, if [kiosk.printer] status_s is
shorter. That deadline is the kiosk's, kept short for a citizen waiting at the screen; the
doctor has time, and on a busy box a well printer's answer may come late: reported as
failing, the technician would look for a fault that is not there. A mute printer costs the
doctor these seconds once."""

FIXES: dict[str, str] = {
    "paper_near_end": "put a new paper roll ready; tickets still print",
    "paper_out": "put in a new paper roll (thermal side out) and close the cover",
    "cover_open": "close the printer's cover until it clicks",
    "offline": "switch the printer on; check its cable (USB/serial) or network (ping it); "
    "a running kiosk may hold the printer: see reported-devices",
    "error": "clear the paper jam or cutter error, then switch the printer off and on",
    "unknown": "the printer does not answer status queries: check cable and power; some "
    "printers need status replies switched on in their settings",
}


def usb_present(vendor: int, product: int, sysfs: str = "/sys/bus/usb/devices") -> bool:
    for dev in glob.glob(f"{sysfs}/*/idVendor"):
        folder = Path(dev).parent
        try:
            v = int((folder / "idVendor").read_text().strip(), 16)
            p = int((folder / "idProduct").read_text().strip(), 16)
        except (OSError, ValueError):
            continue
        if (v, p) == (vendor, product):
            return True
    return False


def _present(section: Any) -> tuple[bool, str]:
    if section.kind == "usb":
        if os.path.exists(STABLE_NAME) or usb_present(section.usb_vendor, section.usb_product):
            return True, f"USB {section.usb_vendor:04x}:{section.usb_product:04x}"
        return False, f"no USB device {section.usb_vendor:04x}:{section.usb_product:04x}"
    if section.kind == "serial":
        port = section.serial_port
        if "://" in port or os.path.exists(port):
            return True, port
        return False, f"{port} does not exist"
    if section.kind == "network":
        return True, f"{section.host}:{section.port}"
    return True, "simulator"


@check("printer", roles=("kiosk",))
def printer(ctx: Context) -> list[Result]:
    from drivers.printer import PrinterConfigError, create_printer, printer_config

    assert ctx.cfg is not None
    section = ctx.cfg.kiosk.printer
    present, where = _present(section)
    details: dict[str, Any] = {"kind": section.kind, "where": where, "profile": section.profile}
    if not present:
        return [
            Result(
                "printer",
                "fail",
                f"printer not found: {where}",
                "plug the printer in and switch it on; `lsusb` should list it; the udev rule "
                f"names it {STABLE_NAME}",
                details,
            )
        ]
    try:
        config = printer_config(section)
        patient = replace(config.deadlines, status=max(config.deadlines.status, STATUS_S))
        config = replace(config, deadlines=patient)
        device = create_printer(config, ctx.extras.get("printer_simulator"))
    except PrinterConfigError as exc:
        return [Result("printer", "fail", str(exc), "fix [kiosk.printer] in the config", details)]
    try:
        status = device.status()
        state = status.state.value
        details["state"] = state
        results: list[Result] = []
        if section.kind == "simulator":
            results.append(
                Result(
                    "printer",
                    "warn",
                    "the printer is the simulator: tickets are not printed on paper",
                    "set [kiosk.printer] kind to usb, serial or network for a real printer",
                    details,
                )
            )
        elif state == "ok":
            results.append(Result("printer", "ok", f"ready ({where})", "", details))
        elif state == "paper_near_end":
            results.append(Result("printer", "warn", "paper low", FIXES[state], details))
        else:
            results.append(
                Result("printer", "fail", f"not ready: {state} ({where})", FIXES[state], details)
            )
        if ctx.options.test_print:
            results.append(_test_page(ctx, device, status.can_print))
        return results
    finally:
        device.close()


def _test_page(ctx: Context, device: Any, can_print: bool) -> Result:
    assert ctx.cfg is not None
    if not can_print:
        return Result("test-print", "fail", "no test page: the printer is not ready")
    lines = [
        ctx.cfg.hall.name,
        f"{ctx.cfg.hall.id} · {ctx.cfg.kiosk.id}",
        datetime.now(ctx.cfg.tz).strftime("%Y-%m-%d %H:%M"),
    ]
    result = device.print_test_page(lines)
    if result.ok:
        return Result(
            "test-print", "ok", "test page (测试样张) printed: check Chinese, sizes and the cut"
        )
    reason = result.reason.value if result.reason else "unknown"
    return Result(
        "test-print",
        "fail",
        f"test page failed: {result.detail}",
        FIXES.get(reason, FIXES["error"]),
    )
