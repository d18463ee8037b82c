"""The pads part of `hall demo --headless`: simulated pads on a pty, scripted presses.

:func:`run_scripted` puts a call-pad and an evaluator on each of the first counters (the
simulator shipped in the product, on a pty, at 115200 baud), runs a real bus master and
the pads service against the hub, presses keys as staff and citizens would (sign in,
call, start, finish, rate), and writes what each device showed to ``out/pads/*.txt``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from counter_pad import frames_v1 as v1
from counter_pad.keys import Key
from counter_pad.memory import InMemoryPadMemory
from counter_pad.runner import build
from counter_pad.settings import PadsConfig, PadsSection
from counter_pad.simulator import PadSimulator, open_pty
from hall.bus.interface import Bus
from hall.hubapi.client import CommandRefused, HallClient, HubUnreachable

BAUD = 115200
COUNTERS = 3


def run_scripted(
    out: Path,
    bus_factory: Callable[[str, str], Bus],
    cfg: PadsConfig,
    presses: int = 20,
    *,
    seed: int = 1,
    staff_base: int = 1000,
) -> dict[str, Any]:
    """Run the scripted pads against the hub reached through ``bus_factory(client_id,
    role)``; return a summary and write ``out/pads/*.txt``. Takes a few seconds."""
    t0 = time.monotonic()
    folder = out / "pads"
    folder.mkdir(parents=True, exist_ok=True)
    counters = [c.id for c in cfg.counters[:COUNTERS]]
    pads = {i + 1: c for i, c in enumerate(counters)}  # call-pads 1..n
    evaluators = {i + 1 + len(counters): c for i, c in enumerate(counters)}
    kinds = dict.fromkeys(pads, v1.DeviceType.CALL_PAD)
    kinds |= dict.fromkeys(evaluators, v1.DeviceType.EVALUATOR)
    lines: dict[int, list[str]] = {a: [] for a in kinds}

    def shown(address: int, text: tuple[str, str]) -> None:
        lines[address].append(f"{time.monotonic() - t0:6.2f}s  {text[0]:<10} | {text[1]}")

    link, path = open_pty()
    sim = PadSimulator(link, kinds, baud=BAUD, seed=seed, on_display=shown).start()
    demo_id = f"{cfg.pads.id}-demo"  # its own device on the hall bus: it names its pads so
    section = PadsSection.model_validate(
        {
            "id": demo_id,
            "notice_seconds": 1.0,
            "buses": [
                {
                    "name": "demo",
                    "port": path,
                    "baud": BAUD,
                    "devices": [{"address": a, "counter": c} for a, c in pads.items()]
                    + [
                        {"address": a, "counter": c, "kind": "evaluator"}
                        for a, c in evaluators.items()
                    ],
                }
            ],
        }
    )
    pads_bus = bus_factory(demo_id, "pads")
    tool_bus = bus_factory(f"{demo_id}-tool", "tool")
    running = build(cfg.model_copy(update={"pads": section}), pads_bus, InMemoryPadMemory())
    rng = random.Random(seed)
    pressed = 0
    try:
        running.start()
        service = running.service
        service.cache.wait_for(f"hall/v1/state/counter/{counters[0]}", 3.0)
        issued = _top_up(HallClient(tool_bus), cfg, counters, presses)
        _settle(sim, service, pads)

        def press(address: int, key: Key, arg: str = "") -> None:
            nonlocal pressed
            sim.press(address, key, arg)
            pressed += 1

        for address in pads:
            press(address, Key.LOGIN, f"{staff_base + address}")
        _settle(sim, service, pads)
        cycle = [Key.CALL_NEXT, Key.START, Key.FINISH]
        step = 0
        while pressed < presses and time.monotonic() - t0 < 8.0:
            key = cycle[step % len(cycle)]
            for address in pads:
                press(address, key)
            _settle(sim, service, pads)
            if key == Key.FINISH:
                for address in evaluators:
                    if sim.v1[address].eval_ticket:
                        sim.rate(address, rng.choice([3, 4, 5, 5, 5]))
                        pressed += 1
                _settle(sim, service, [*pads, *evaluators])
            step += 1
        time.sleep(0.2)
    finally:
        running.stop()
        sim.stop()
        link.close()
        pads_bus.close()
        tool_bus.close()
    written = []
    for address, text in lines.items():
        kind = "pad" if address in pads else "evaluator"
        counter = pads.get(address) or evaluators[address]
        f = folder / f"{kind}-{address:02d}-counter-{counter}.txt"
        f.write_text("\n".join(text) + "\n", encoding="utf-8")
        written.append(str(f))
    stats = dict(running.service.stats)
    return {
        "devices": len(kinds),
        "counters": counters,
        "tickets_issued": issued,
        "presses": pressed,
        "acted": stats.get("done", 0),
        "refused": stats.get("refused", 0),
        "ratings": stats.get("ratings", 0),
        "displays": {a: sim.display(a) for a in pads},
        "transcripts": written,
        "seconds": round(time.monotonic() - t0, 2),
    }


def _top_up(client: HallClient, cfg: PadsConfig, counters: list[str], presses: int) -> int:
    """Issue enough tickets for the scripted calls (if the hall is open)."""
    issued = 0
    by_id = {c.id: c for c in cfg.counters}
    for counter in counters:
        for _ in range(max(1, presses // (3 * len(counters)) + 1)):
            try:
                client.execute("issue", {"service": by_id[counter].services[0]}, timeout=2.0)
            except (CommandRefused, HubUnreachable):
                return issued
            issued += 1
    return issued


def _settle(sim: PadSimulator, service: Any, addresses: Any, timeout: float = 2.0) -> None:
    """Wait until every press was taken and answered."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if all(sim.pending_events(a) == 0 for a in addresses) and service.idle():
            time.sleep(0.05)  # the display follows the answer
            return
        time.sleep(0.01)
