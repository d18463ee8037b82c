"""Command line of the simulator: ``python -m counter_pad.simulator --pty``.

Prints the port path, then reads commands from stdin, one a line::

    press 3 CALL_NEXT | press 3 LOGIN 1234 | rate 5 4 | timeout 5
    keys 3 1 2 0C          (legacy: key codes in hex)
    drop 3 2 | corrupt 3 1 | reboot 3 | reboot 3 same | silent 3 on | busy 3 2
    noise 20          (20 bytes of junk on the line) | show | quit
"""

from __future__ import annotations

import argparse
import logging
import random
import sys

from counter_pad import frames_v1 as v1
from counter_pad.keys import Key
from counter_pad.simulator import Link, PadSimulator, SerialLink, open_pty


def parse_addresses(text: str) -> list[int]:
    """'1-4,7' -> [1, 2, 3, 4, 7]."""
    out: list[int] = []
    for part in filter(None, text.split(",")):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m counter_pad.simulator", description=__doc__)
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--pty", action="store_true", help="make a pty and print its path")
    where.add_argument("--port", help="a serial port, e.g. /dev/ttyUSB0")
    p.add_argument("--profile", choices=["v1", "legacy"], default="v1")
    p.add_argument("--baud", type=int, default=115200, help="line speed modelled (0: none)")
    p.add_argument("--pads", default="1-4", help="call-pad addresses, e.g. 1-4,7")
    p.add_argument("--evaluators", default="", help="evaluator addresses (v1)")
    p.add_argument("--displays", default="", help="counter display addresses (v1)")
    p.add_argument("--turnaround", type=float, default=2.0, help="reply delay in ms")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--quiet", action="store_true", help="do not print display changes")
    return p


def run_command(sim: PadSimulator, words: list[str]) -> str:
    cmd, args = words[0], words[1:]
    addr = int(args[0]) if args else 0
    match cmd:
        case "press":
            key = Key[args[1].upper()]
            return f"event {sim.press(addr, key, args[2] if len(args) > 2 else '')}"
        case "rate":
            return f"event {sim.rate(addr, int(args[1]))}"
        case "timeout":
            return f"event {sim.rating_timeout(addr)}"
        case "keys":
            sim.legacy_press(addr, *(int(c, 16) for c in args[1:]))
        case "drop":
            sim.drop_replies(addr, int(args[1]) if len(args) > 1 else 1)
        case "corrupt":
            sim.corrupt_replies(addr, int(args[1]) if len(args) > 1 else 1)
        case "reboot":
            sim.reboot(addr, same_boot_id=len(args) > 1 and args[1] == "same")
        case "busy":
            sim.busy(addr, int(args[1]) if len(args) > 1 else 1)
        case "noise":
            sim.inject(bytes(random.randrange(256) for _ in range(addr or 16)))
        case "silent":
            sim.set_silent(addr, len(args) < 2 or args[1] == "on")
        case "show":
            devices = sorted({*sim.v1, *sim.legacy})
            return "\n".join(f"{a:2d}: {' | '.join(sim.display(a))}" for a in devices)
        case _:
            return f"unknown command {cmd!r}"
    return "ok"


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    devices = dict.fromkeys(parse_addresses(args.pads), v1.DeviceType.CALL_PAD)
    devices |= dict.fromkeys(parse_addresses(args.evaluators), v1.DeviceType.EVALUATOR)
    devices |= dict.fromkeys(parse_addresses(args.displays), v1.DeviceType.COUNTER_DISPLAY)
    link: Link
    if args.pty:
        link, path = open_pty()
    else:
        link, path = SerialLink(args.port, args.baud or 115200), args.port
    print(path, flush=True)

    def shown(address: int, lines: tuple[str, str]) -> None:
        print(f"display {address}: {lines[0]} | {lines[1]}", flush=True)

    sim = PadSimulator(
        link,
        devices,
        args.profile,
        args.baud or None,
        turnaround=args.turnaround / 1000,
        seed=args.seed,
        on_display=None if args.quiet else shown,
    )
    with sim:
        for line in sys.stdin:
            words = line.split()
            if not words:
                continue
            if words[0] == "quit":
                break
            try:
                print(run_command(sim, words), flush=True)
            except (KeyError, ValueError, IndexError) as exc:
                print(f"error: {exc!r}", flush=True)
    link.close()


if __name__ == "__main__":
    main()
