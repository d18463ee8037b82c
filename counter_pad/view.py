"""What a counter's devices show, from the hub's counter state. Pure, no IO.

A call-pad shows two lines of at most 16 GB18030 bytes (8 hanzi): the ticket in hand and
its state (``A012 办理中``), and the number waiting for this counter (``等候 5 人``). A
legacy pad shows the same as digits (ticket and waiting count). Errors from the hub are
shortened to what the display holds (:func:`short_error`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from counter_pad.frames_v1 import LINE_BYTES, fit_line

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class PadView:
    """What one device shows. ``ticket``/``waiting`` drive a legacy pad's digits."""

    line1: str
    line2: str = ""
    ticket: str | None = None
    waiting: int | None = None

    def fitted(self) -> PadView:
        """Both lines cut to 16 GB18030 bytes at a character boundary."""
        return PadView(_fit(self.line1), _fit(self.line2), self.ticket, self.waiting)


def _fit(text: str) -> str:
    return fit_line(text, LINE_BYTES).decode("gb18030")


CONNECTING = PadView("正在连接", "请稍候")


def waiting_line(n: int, paused: bool = False) -> str:
    return f"已暂停 等候{n}人" if paused else f"等候 {n} 人"


def pad_view(state: JsonObject | None) -> PadView:
    """A call-pad's view of ``hall/v1/state/counter/<id>`` (None: not known yet)."""
    if not state:
        return CONNECTING
    waiting = int(state.get("waiting") or 0)
    if not state.get("staff"):
        return PadView("未签到", "请输入工号签到", None, None)
    paused = state.get("state") == "paused"
    cur = state.get("current")
    if cur:
        line1 = f"{cur['number']} {cur.get('state_zh', '')}".strip()
        ticket = str(cur["number"])
    else:
        held = state.get("held") or []
        line1 = f"空闲 挂起{len(held)}个" if held else "空闲"
        ticket = None
    return PadView(line1, waiting_line(waiting, paused), ticket, waiting).fitted()


def display_view(state: JsonObject | None) -> PadView:
    """A counter display (窗口屏) faces the citizens: the counter and the number called."""
    if not state:
        return PadView("", "")
    name = str(state.get("name") or f"{state.get('counter', '')}号窗口")
    if not state.get("staff"):
        return PadView(name, "暂停服务").fitted()
    if state.get("state") == "paused":
        return PadView(name, "暂停服务").fitted()
    cur = state.get("current")
    if cur:
        return PadView(name, f"请 {cur['number']} 号").fitted()
    return PadView(name, "欢迎光临").fitted()


def evaluator_view(state: JsonObject | None) -> PadView:
    """An evaluator between evaluations: the counter and the staff number on duty."""
    if not state or not state.get("staff"):
        return PadView("", "")
    name = str(state.get("name") or "")
    return PadView(name, f"工号 {state['staff']}").fitted()


# --------------------------------------------------------------------------- errors

# Hub refusal codes whose message is too long for 16 bytes, with a short form.
SHORT: dict[str, str] = {
    "bad_staff_number": "工号格式错误",
    "staff_elsewhere": "工号已在别处签到",
    "counter_taken": "窗口已有人签到",
    "ticket_not_waiting": "该号不在等候中",
    "ticket_for_other_counter": "该号已转其他窗口",
    "not_called": "该号已在办理中",
    "recall_limit": "重呼次数已满",
    "skip_too_early": "呼叫次数不足",
    "nothing_held": "没有挂起的号",
    "not_held_here": "未在本窗口挂起",
    "bad_transfer": "转移失败",
    "unknown_service": "转移失败",
    "clock_not_set": "系统时间未校准",
    "hub_fault": "系统故障",
    "deadline_passed": "请求超时",
    "invalid_request": "操作无效",
}
# Hints that do not fit, shortened.
SHORT_HINT: dict[str, str] = {
    "办理中的号无需重呼": "无需重呼",
    "办理中的号不能过号": "不能过号",
    "每个号只能评价一次": "每号只能评一次",
    "请先回呼或转移挂起的号": "请先回呼挂起的号",
    "请联系工作人员校准时间": "请联系工作人员",
    "请于下一个工作日再来": "请下个工作日再来",
}
_SPLIT = re.compile(r"[：，（。；:,(;]")


def short_error(code: str, message: str, hint: str = "") -> tuple[str, str]:
    """Two display lines for a hub refusal: a short error and a detail or hint."""
    head, _, tail = _split(message)
    line1 = SHORT.get(code) or head
    if code == "unknown_counter" and message.startswith("转移失败"):
        line1 = "转移失败"
    detail = tail or SHORT_HINT.get(hint, hint)
    return _fit(line1), _fit(detail)


def _split(message: str) -> tuple[str, str, str]:
    m = _SPLIT.search(message)
    if m is None:
        return message.strip(), "", ""
    head, tail = message[: m.start()].strip(), message[m.end() :].strip()
    return head, m.group(), tail.rstrip("）)").strip()


def error_view(base: PadView, code: str, message: str, hint: str = "") -> PadView:
    """The error over the counter's view; a legacy pad keeps its digits (and beeps)."""
    line1, line2 = short_error(code, message, hint)
    return PadView(line1, line2 or base.line1, base.ticket, base.waiting)


def notice_view(base: PadView, line1: str, line2: str = "") -> PadView:
    return PadView(line1, line2 or base.line1, base.ticket, base.waiting).fitted()


RATING_ZH = {1: "非常不满意", 2: "不满意", 3: "基本满意", 4: "满意", 5: "非常满意"}


# --------------------------------------------------------------------------- prediction


def predict(state: JsonObject | None, command: str, result: JsonObject) -> JsonObject | None:
    """The counter state right after ``command`` succeeded with ``result``, so the pad
    shows it at once; the hub's retained state follows and replaces it. Idempotent: the
    retained state may already show the change."""
    if not state:
        return None
    st = dict(state)
    number = result.get("number")
    if command in ("call_next", "call_number", "call_back", "recall") and number:
        st["current"] = {"number": number, "state": "called", "state_zh": "已呼叫"}
        if "waiting" in result:
            st["waiting"] = result["waiting"]
    elif command == "start" and number:
        st["current"] = {"number": number, "state": "serving", "state_zh": "办理中"}
    elif command in ("finish", "skip", "transfer"):
        st["current"] = None
    elif command == "hold" and number:
        st["current"] = None
        held = list(st.get("held") or [])
        st["held"] = held if number in held else [*held, number]
    elif command == "sign_in":
        st["staff"] = result.get("staff")
        st["state"] = "open"
    elif command == "sign_out":
        st["staff"] = None
        st["state"] = "closed"
    elif command in ("pause", "resume"):
        st["state"] = result.get("state", st.get("state"))
    return st
