"""The simulated v1 device keeps its event store exactly as the contract says."""

from __future__ import annotations

import random

from counter_pad import frames_legacy as fl
from counter_pad import frames_v1 as v1
from counter_pad.sim_devices import SimLegacyPad, SimV1Device


def device(kind: v1.DeviceType = v1.DeviceType.CALL_PAD, seed: int = 1) -> SimV1Device:
    return SimV1Device(4, kind, random.Random(seed))


def poll(dev: SimV1Device, ack: int, boot: int, seq: int = 1) -> v1.Events:
    (frame,) = v1.Receiver().feed(v1.encode_poll(dev.address, seq, ack, boot))
    reply = dev.handle(frame)
    assert reply is not None
    (out,) = v1.Receiver().feed(reply)
    assert out.seq == seq and out.addr == 0x84
    events = v1.decode_reply(out)
    assert isinstance(events, v1.Events)
    return events


def test_boot_id_random_and_booted_until_first_ack() -> None:
    dev = device()
    assert 1 <= dev.boot_id <= 0xFFFF
    first = poll(dev, 0, 0)
    assert first.booted and first.boot == dev.boot_id and first.events == ()
    assert poll(dev, 0, 0).booted  # BOOT 0: no ACK accepted
    assert poll(dev, 0, dev.boot_id).booted  # the reply to the accepting POLL still shows it
    assert not poll(dev, 0, dev.boot_id).booted  # and the next no more


def test_firmware_that_clears_booted_before_replying() -> None:
    dev = SimV1Device(4, v1.DeviceType.CALL_PAD, random.Random(1), booted_until_reply=False)
    assert poll(dev, 0, 0).booted
    assert not poll(dev, 0, dev.boot_id).booted  # the reply follows the accepted ACK


def test_a_reboot_may_draw_the_same_boot_id() -> None:
    dev = device()
    boot = dev.boot_id
    dev.power_on()
    assert dev.boot_id != boot
    again = dev.boot_id
    dev.power_on(same_boot_id=True)
    assert dev.boot_id == again and dev.booted


def test_busy_answers_every_request_but_polls() -> None:
    dev = device(v1.DeviceType.EVALUATOR)
    dev.faults.busy = 2
    show = v1.Receiver().feed(v1.encode_show(4, 7, "A", "B"))[0]
    assert v1.decode_reply(v1.Receiver().feed(dev.handle(show) or b"")[0]) == v1.Nak(3)
    poll(dev, 0, 0)  # a POLL is answered as ever, and takes no busy answer
    start = v1.Receiver().feed(v1.encode_eval_start(4, 8, "A012"))[0]
    assert v1.decode_reply(v1.Receiver().feed(dev.handle(start) or b"")[0]) == v1.Nak(3)
    assert dev.eval_ticket is None and dev.lines == ("", "")
    assert isinstance(v1.decode_reply(v1.Receiver().feed(dev.handle(start) or b"")[0]), v1.Ok)
    assert dev.eval_ticket == "A012"


def test_ack_only_with_matching_boot() -> None:
    dev = device()
    dev.press(1)
    dev.press(2)
    assert [e.number for e in poll(dev, 0, 0).events] == [1, 2]
    assert [e.number for e in poll(dev, 2, dev.boot_id ^ 1).events] == [1, 2]
    assert [e.number for e in poll(dev, 1, dev.boot_id).events] == [2]
    assert poll(dev, 2, dev.boot_id).events == ()


def test_store_keeps_16_sends_8_and_overflows() -> None:
    dev = device()
    numbers = [dev.press(1) for _ in range(17)]
    assert numbers[:16] == list(range(1, 17)) and numbers[16] is None
    reply = poll(dev, 0, 0)
    assert [e.number for e in reply.events] == list(range(1, 9)) and reply.overflow
    assert poll(dev, 0, 0).overflow  # stays until an ACK follows a reply that carried it
    reply = poll(dev, 8, dev.boot_id)
    assert [e.number for e in reply.events] == list(range(9, 17)) and not reply.overflow


def test_numbering_wraps_255_to_1() -> None:
    dev = device()
    last = 0
    for _ in range(256):
        number = dev.press(1)
        assert number is not None
        poll(dev, number, dev.boot_id)
        last = number
    assert last == 1


def test_reboot_renumbers_with_a_new_boot() -> None:
    dev = device()
    dev.press(1)
    old = dev.boot_id
    dev.power_on()
    assert dev.boot_id != old and dev.store == type(dev.store)()
    assert dev.press(1) == 1


def test_show_beep_eval_and_nak() -> None:
    pad, ev = device(), device(v1.DeviceType.EVALUATOR)
    (show,) = v1.Receiver().feed(v1.encode_show(4, 3, "A012 办理中", "等候 5 人"))
    assert pad.handle(show) == v1.encode_ok(4, 3)
    assert pad.lines == ("A012 办理中", "等候 5 人")
    (start,) = v1.Receiver().feed(v1.encode_eval_start(4, 5, "A012"))
    assert pad.handle(start) == v1.encode_nak(4, 5, v1.NakCode.UNKNOWN_COMMAND)
    assert ev.handle(start) == v1.encode_ok(4, 5)
    assert ev.rate(4) == 1 and ev.store[0] == v1.WireEvent(1, 0x24, "A012")
    assert pad.handle(v1.Frame(4, 6, 0x77)) == v1.encode_nak(4, 6, v1.NakCode.UNKNOWN_COMMAND)
    assert pad.handle(v1.Frame(4, 7, v1.Cmd.BEEP, b"")) == v1.encode_nak(4, 7, 2)


def test_broadcast_acts_and_never_replies() -> None:
    pad = device()
    (show,) = v1.Receiver().feed(v1.encode_show(0, 1, "暂停服务", ""))
    assert pad.handle(show) is None and pad.lines == ("暂停服务", "")
    (poll_all,) = v1.Receiver().feed(v1.encode_poll(0, 1, 0, 0))
    assert pad.handle(poll_all) is None


def test_legacy_pad_repeats_until_echoed() -> None:
    pad = SimLegacyPad(2)
    pad.press(fl.KEY_CALL)
    frame = pad.due(0.0)
    assert frame == fl.encode_key(2, fl.KEY_CALL)
    assert pad.due(0.1) is None and pad.due(0.31) == frame
    (echo,) = fl.LegacyReceiver().feed(frame)
    assert pad.handle(echo) is None and pad.due(1.0) is None
    (disp,) = fl.LegacyReceiver().feed(fl.encode_display(2, "A012", 3))
    assert pad.handle(disp) == fl.encode_display(2, "A012", 3)
    assert pad.display == "012   3"
