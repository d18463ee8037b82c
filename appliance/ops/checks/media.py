"""The kiosk's scanner, the speech engine and the audio output (a test sentence on request)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from appliance.ops.checks.base import Context, Result, Status, check
from appliance.ops.checks.pads import input_device_names

TEST_CALL = ("A001", "1")


@check("scanner", roles=("kiosk",))
def scanner(ctx: Context) -> list[Result]:
    assert ctx.cfg is not None
    inputs = ctx.cfg.kiosk.inputs
    if not inputs:
        return [
            Result(
                "scanner",
                "warn",
                "no scanner in [kiosk.inputs]: appointment QR codes cannot be scanned",
                "add a [[kiosk.inputs]] entry (see config/examples/) with the scanner's "
                "/dev/input/by-id/… path (or /dev/input/hall-scanner from the udev rule)",
            )
        ]
    names: list[str] | None = None
    results: list[Result] = []
    for item in inputs:
        label = f"{item.role} {item.name}"
        if item.path:
            ok = "://" in item.path or os.path.exists(item.path)
            where = item.path
        else:
            names = names if names is not None else input_device_names()
            ok = any(item.match_name in n for n in names)
            where = f"an input device named like '{item.match_name}'"
        if ok:
            results.append(Result(label, "ok", f"present ({where})"))
        else:
            results.append(
                Result(
                    label,
                    "warn",
                    f"not found: {where}",
                    "plug the scanner in (USB); `ls /dev/input/by-id/` should list it; in "
                    "keyboard mode it needs the 'input' group (udev rule 90-hall.rules)",
                )
            )
    return results


def _speech_users(ctx: Context) -> list[tuple[str, str]]:
    """(role, engine) of the roles on this box that speak."""
    assert ctx.cfg is not None
    out: list[tuple[str, str]] = []
    if ctx.has("display") and ctx.cfg.display.speech.enabled:
        out.append(("display", ctx.cfg.display.speech.engine))
    if ctx.has("kiosk") and ctx.cfg.kiosk.speech.engine != "none":
        out.append(("kiosk", ctx.cfg.kiosk.speech.engine))
    return out


@check("speech", roles=("display", "kiosk"))
def speech(ctx: Context) -> list[Result]:
    assert ctx.cfg is not None
    users = _speech_users(ctx)
    if not users:
        return [Result("speech", "skip", "no role on this box speaks (speech off)")]
    results: list[Result] = []
    for role, engine in users:
        # Both engines speak with espeak-ng's voice (pyttsx3 drives libespeak-ng).
        found = ctx.which("espeak-ng")
        if found is None:
            status: Status = "fail" if role == "display" else "warn"
            results.append(
                Result(
                    f"speech {role}",
                    status,
                    f"espeak-ng is not installed (engine {engine})",
                    "`apt-get install espeak-ng`",
                )
            )
        else:
            results.append(Result(f"speech {role}", "ok", f"{engine} ready ({found})"))
    if ctx.options.test_speech and any(r.status == "ok" for r in results):
        results.append(_test_sentence(ctx))
    return results


def _test_sentence(ctx: Context) -> Result:
    from drivers.speech import (
        Call,
        PlaybackError,
        SpeechError,
        call_phrase,
        make_engine,
        make_player,
    )

    assert ctx.cfg is not None
    cfg = ctx.cfg
    if ctx.has("display") and cfg.display.speech.enabled:
        sp = cfg.display.speech
        engine_name: str = sp.engine
        voice, rate = sp.voice, sp.rate_wpm
        deadline, player_name, command = sp.synth_deadline_seconds, sp.player, sp.player_command
        folder_name = sp.output_dir
    else:
        ks = cfg.kiosk.speech
        engine_name, voice, rate = ks.engine, "cmn-latn-pinyin", 150
        deadline, player_name, command, folder_name = ks.deadline_s, ks.player, "", ks.folder
    phrase = call_phrase(Call(TEST_CALL[0], TEST_CALL[1]))
    try:
        engine = make_engine(engine_name, voice=voice, rate_wpm=rate)
        audio = engine.synthesize(phrase, deadline)
    except (SpeechError, ValueError) as exc:
        return Result(
            "test-sentence",
            "fail",
            f"synthesis failed: {exc}",
            "`espeak-ng -v cmn-latn-pinyin hao3` should speak; reinstall espeak-ng",
        )
    folder = (cfg.base / folder_name).resolve() if player_name == "file" else None
    try:
        player = make_player(player_name, folder=folder, command=command or None)
        player.play(audio, phrase.display)
    except (PlaybackError, ValueError, OSError) as exc:
        return Result(
            "test-sentence",
            "fail",
            f"synthesised ({audio.duration:.1f} s) but not played: {exc}",
            "check the speakers, the volume (`alsamixer`) and `aplay -l`",
        )
    where = f" into {folder}" if folder else ""
    return Result(
        "test-sentence",
        "ok",
        f"played “{phrase.display}” ({audio.duration:.1f} s) with {player_name}{where}",
        "did you hear it? if not: speakers, volume (`alsamixer`), HDMI audio output",
    )


def sound_cards(ctx: Context) -> list[str]:
    """Playback cards, from `aplay -l` (or /proc/asound/cards)."""
    ran = ctx.run(["aplay", "-l"], ctx.options.timeout)
    if ran.returncode == 0:
        return [line for line in ran.stdout.splitlines() if line.startswith("card ")]
    try:
        text = Path("/proc/asound/cards").read_text()
    except OSError:
        return []
    return [line.strip() for line in text.splitlines() if line[:3].strip().isdigit()]


@check("audio", roles=("display",))
def audio(ctx: Context) -> list[Result]:
    assert ctx.cfg is not None
    sp = ctx.cfg.display.speech
    if not sp.enabled:
        return [Result("audio", "skip", "speech is off ([display.speech] enabled = false)")]
    details: dict[str, Any] = {"player": sp.player}
    if sp.player in ("file", "null"):
        return [
            Result(
                "audio",
                "warn",
                f"player '{sp.player}': calls are not heard in the hall",
                'set [display.speech] player = "aplay" for the hall\'s speakers',
                details,
            )
        ]
    program = (sp.player_command.split() or [sp.player])[0]
    if ctx.which(program) is None:
        return [
            Result(
                "audio",
                "fail",
                f"the player {program} is not installed",
                "`apt-get install alsa-utils` (aplay) or pulseaudio-utils (paplay)",
                details,
            )
        ]
    if sp.player == "aplay":
        cards = sound_cards(ctx)
        details["cards"] = cards
        if not cards:
            return [
                Result(
                    "audio",
                    "fail",
                    "no sound card found",
                    "connect the speakers (USB sound card or HDMI); `aplay -l` must list a card; "
                    "the service user needs the 'audio' group",
                    details,
                )
            ]
        return [Result("audio", "ok", f"{len(cards)} sound card(s): {cards[0]}", "", details)]
    return [Result("audio", "ok", f"player {program} installed", "", details)]
