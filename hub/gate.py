"""What a request must pass before it reaches the queue: its sender's role (hub/authz.py)
and, for a QR token, the signature the hub checks itself (the kiosk sends the scanned
text; nothing a device says about a token is believed)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from hall import tokens
from hall.bus.interface import JsonObject
from hall.core.state import HallState
from hall.devices import Device
from hall.hubapi import protocol as p
from hub import authz


@dataclass(frozen=True, slots=True)
class Admission:
    """`args` for the command; or a `denied` (the role), or a `refusal` (the reply)."""

    args: dict[str, Any]
    denied: authz.Denied | None = None
    refusal: JsonObject | None = None


def admit(
    device: Device | None,
    name: str,
    args: dict[str, Any],
    state: HallState,
    *,
    city_key: Ed25519PublicKey | None,
    now: float,
) -> Admission:
    denied = authz.check(device, name, args, state)
    if denied is not None:
        return Admission(args, denied=denied)
    if name == "check_in" and "token" in args:
        claims, refusal = verify(args["token"], city_key, now, "appointment")
        return Admission({**args, "token": claims}, refusal=refusal)
    if name == "mark_arrived" and "token" in args:
        rest = {k: v for k, v in args.items() if k != "token"}
        claims, refusal = verify(args["token"], city_key, now, "ticket")
        if refusal is None and claims["hall"] != state.hall_id:
            refusal = p.error_reply("other_hall", "这不是本大厅的号", "请到取号的大厅")
        return Admission({**rest, "ticket_id": claims.get("ticket_id")}, refusal=refusal)
    return Admission(args)


def verify(
    raw: object, key: Ed25519PublicKey | None, now: float, kind: str
) -> tuple[dict[str, Any], JsonObject | None]:
    """The claims of a signed QR token of `kind` (appointment or ticket), or the reply."""
    if not isinstance(raw, str):
        return {}, p.error_reply(p.INVALID_REQUEST, "请求格式不正确", "args/token: QR text")
    if key is None:
        return {}, p.error_reply(
            "token_unverifiable", "暂不能识别预约二维码", "请输入预约码或刷身份证签到"
        )
    try:
        if kind == "ticket":
            return tokens.verify_ticket_token(raw, key, now=now), None
        return dict(tokens.verify_token(raw, key, now=now).claims), None
    except tokens.TokenError as exc:
        return {}, p.error_reply(exc.code, exc.message, "请出示预约码或刷身份证")
