"""Every word the kiosk shows, in Chinese and English. Pure data and a few lookups.

Service and hall names come from the catalog: English names where the catalog gives them
(``name_en``, optional in a catalog; where one is missing the English screen says names are
in Chinese), the usual categories from ``CATEGORIES_EN``. The hub's refusal messages are
Chinese; in English the kiosk shows its own text for the codes it knows and the hub's
Chinese words for the rest.

Wording shared with the printed ticket and the waiting-hall display: "预约时段" (ticket and
screen), "过号请到服务台咨询" (ticket notice, ticket screen; the display says "过号请到服务台").
"""

from __future__ import annotations

from typing import Any

Lang = str  # "zh" | "en"

TEXTS: dict[str, tuple[str, str]] = {
    # home
    "take_ticket": ("取号", "Take a ticket"),
    "choose_service": ("请选择您要办理的业务", "Please choose a service"),
    "all_categories": ("全部", "All"),
    "search": ("搜索", "Search"),
    "search_hint": (
        "按业务名称的拼音首字母查找，如 SBK（社保卡）、HZ（护照）",
        "Type the pinyin initials of a service, e.g. SBK (社保卡), HZ (护照)",
    ),
    "search_empty": ("请按下方字母键", "Use the letter keys below"),
    "search_none": ("没有找到相关业务", "No matching service"),
    "check_in": ("预约 / 手机取号签到", "Check in (booking, phone ticket)"),
    "nearby": ("智能导航", "Where else"),
    "names_zh_only": (
        "",
        "Some service names are shown in Chinese: the catalog has no English name for them. "
        "Staff can help.",
    ),
    "elder_on": ("长辈模式", "Large text"),
    "elder_off": ("标准模式", "Standard"),
    "language": ("English", "中文"),
    "waiting": ("等候 {n} 人", "{n} waiting"),
    "est_wait": ("约 {m} 分钟", "about {m} min"),
    "est_none": ("暂无估计", "no estimate"),
    "no_wait": ("无需等候", "no wait"),
    "service_closed": ("未到办理时间", "Not open now"),
    "home": ("返回首页", "Home"),
    "back": ("返回", "Back"),
    "countdown": ("{s} 秒后返回首页", "Home in {s} s"),
    "stale": ("数据更新中…", "Updating…"),
    # priority
    "priority_title": ("是否需要绿色通道？", "Do you need priority service?"),
    "priority_note": (
        "70 岁以上老人、残疾人、孕妇可优先办理",
        "People over 70, with a disability, or pregnant are served first",
    ),
    "priority_normal": ("普通取号", "Standard ticket"),
    "priority_elderly": ("70 岁以上老人", "Over 70"),
    "priority_disability": ("残疾人", "Disability"),
    "priority_pregnancy": ("孕妇", "Pregnant"),
    # busy
    "printing": ("正在出票，请稍候…", "Printing your ticket…"),
    "checking_in": ("正在签到，请稍候…", "Checking you in…"),
    "working": ("请稍候…", "Please wait…"),
    # ticket
    "take_your_ticket": ("请取走您的号票", "Please take your ticket"),
    "your_number": ("您的号码", "Your number"),
    "ahead": ("前面还有 {n} 人等候", "{n} ahead of you"),
    "ahead_none": ("前面没有人等候", "Nobody ahead of you"),
    "wait_about": ("预计等待约 {m} 分钟", "Estimated wait about {m} min"),
    "wait_unknown": ("预计等待：暂无估计", "Estimated wait: not known yet"),
    "watch_calls": (
        "请留意大厅叫号，过号请到服务台咨询",
        "Watch the display. Missed your call? Ask at the service desk",
    ),
    "timing_early": (
        "预约签到成功，请在预约时段前后留意叫号",
        "Checked in early: you are called near your time slot",
    ),
    "timing_on_time": ("预约签到成功，您将优先办理", "Checked in: you will be served first"),
    "timing_late": (
        "您已超过预约时段，按现场取号顺序办理",
        "You are past your time slot: served in arrival order",
    ),
    "slot": ("预约时段 {start}-{end}", "Time slot {start}-{end}"),
    # print failure
    "void_title": ("此号已作废", "This number is cancelled"),
    "void_text": (
        "号票没有打印好，这个号码不能使用。请到服务台，工作人员为您办理。",
        "The ticket did not print properly, so this number cannot be used. "
        "Please go to the service desk: the staff will help you.",
    ),
    "void_number": ("作废号码：{number}（不会叫到）", "Cancelled number: {number} (never called)"),
    "reprint_title": ("号票没有打印好", "Your ticket did not print"),
    "reprint_number": ("您的号码", "Your number"),
    "reprint_text": (
        "请记下您的号码，到服务台补打号票",
        "Please note your number and ask at the service desk for a reprint",
    ),
    "ask_staff": ("请联系工作人员", "Please ask the staff"),
    # the printer watched while idle
    "paused_title": ("暂停取号", "Tickets paused"),
    "paused_text": (
        "打印机暂停服务（{state}），工作人员正在处理。请稍候，或到服务台咨询。",
        "The printer is not working ({state}). Please wait, or ask at the service desk.",
    ),
    # refusals of the kiosk itself
    "refused_title": ("暂时无法取号", "No ticket right now"),
    "checkin_refused_title": ("暂时无法签到", "Check-in not possible"),
    "offline_title": ("系统暂时无法连接", "The system cannot be reached"),
    "offline_text": (
        "这次没有出号。请稍后再试，或咨询工作人员。",
        "No ticket was issued. Please try again shortly, or ask the staff.",
    ),
    "offline_arrival": (
        "这次没有签到成功。请稍后再试，或咨询工作人员。",
        "You are not checked in yet. Please try again shortly, or ask the staff.",
    ),
    "retry": ("重新输入", "Type again"),
    "printer_down": (
        "打印机暂停服务（{state}），请联系工作人员",
        "The printer is not working ({state}). Please ask the staff",
    ),
    # check-in
    "checkin_title": ("预约 / 手机取号签到", "Check in"),
    "checkin_scan": (
        "请将手机上的预约二维码或取号二维码对准扫描口，或刷身份证",
        "Scan the QR code of your booking or phone ticket, or read your ID card",
    ),
    "checkin_code": ("或输入 6 位预约码", "Or type your 6-digit appointment code"),
    "checkin_submit": ("确认签到", "Check in"),
    "next": ("下一步", "Next"),
    "clear": ("清除", "Clear"),
    "delete": ("删除", "Delete"),
    "code_incomplete": ("请输入完整的 6 位预约码", "Please type all 6 digits"),
    "open_arrival": (
        "手机上取的号：输入号码和手机尾号",
        "Phone ticket: type its number",
    ),
    # arrival of a ticket taken on a phone (云叫号): its number and the phone's last four
    "arrival_title": ("手机取号签到", "Phone ticket check-in"),
    "arrival_hint": (
        "请输入手机上显示的号码（先点字母，再点数字），再输入取号手机号的后四位",
        "Your number (letter first), then that phone's last 4 digits",
    ),
    "arrival_scan": (
        "也可以直接扫描手机上的取号二维码",
        "Or scan the ticket's QR code",
    ),
    "arrival_number": ("号码", "Number"),
    "arrival_tail": ("手机尾号", "Phone ending"),
    "arrival_number_incomplete": (
        "请输入完整的号码：先点字母，再点数字",
        "Type the whole number: its letter, then the digits",
    ),
    "arrival_tail_incomplete": (
        "请输入取号手机号的后四位",
        "Type all 4 digits of the phone ending",
    ),
    # checked in
    "arrived_title": ("签到成功", "You are checked in"),
    "arrived_already": (
        "您已签到，请留意叫号",
        "You are already checked in: watch for your number",
    ),
    "arrived_text": (
        "请在大厅等候，留意叫号屏和手机提醒",
        "Please wait in the hall: watch the display and your phone",
    ),
    "arrived_waiting": ("「{service}」现有 {n} 人等候", "{service}: {n} waiting now"),
    "arrived_waiting_none": ("「{service}」现在无需等候", "{service}: no wait now"),
    # closed
    "closed_title": ("当前不在办理时间", "We are closed now"),
    "closed_hours": ("办理时间", "Opening hours"),
    "closed_text": (
        "请在办理时间内前来取号，也可通过城市预约平台预约",
        "Please come back during opening hours, or book online",
    ),
    # nearby
    "nearby_title": ("智能导航 · 其他网点", "Where else can I go?"),
    "nearby_nearest": ("最近办", "Nearest"),
    "nearby_fastest": ("最快办", "Fastest"),
    "nearby_best": ("最优办", "Best"),
    "nearby_none": ("暂无其他网点的信息", "No information about other halls yet"),
    "nearby_none_service": (
        "暂无其他网点办理此业务的信息",
        "No information about other halls for this service",
    ),
    "nearby_offline": (
        "城市平台暂时离线，以下为 {at} 的信息",
        "City platform offline; information from {at}",
    ),
    "nearby_at": ("信息更新于 {at}", "Updated {at}"),
    "nearby_row": ("{km} 公里 · {load}", "{km} km · {load}"),
    "nearby_choose": ("请选择业务", "Choose a service"),
    # technician
    "pin_title": ("技术人员登录", "Technician login"),
    "pin_wrong": ("密码错误", "Wrong PIN"),
    "pin_locked": ("错误次数过多，请 {s} 秒后再试", "Too many attempts; wait {s} s"),
    "pin_disabled": ("未配置技术人员密码", "No technician PIN configured"),
    "ok": ("确定", "OK"),
    "tech_title": ("技术人员模式", "Technician mode"),
    "tech_printer": ("打印机：{state}", "Printer: {state}"),
    "tech_refresh": ("刷新状态", "Refresh status"),
    "tech_test_print": ("打印测试样张", "Print test page"),
    "tech_voids": ("最近作废：{list}", "Cancelled lately: {list}"),
    "tech_void": ("{number}（{reason}，{time}）", "{number} ({reason}, {time})"),
    "tech_scanner": ("扫描测试：请扫描任意条码", "Scanner test: scan any code"),
    "tech_inputs": ("输入设备：{list}", "Input devices: {list}"),
    "tech_versions": ("版本信息：{list}", "Versions: {list}"),
    "tech_reprints": ("待补打号票", "Tickets to reprint"),
    "tech_reprint": ("补打 {number}", "Reprint {number}"),
    "tech_exit": ("退出", "Exit"),
    "tech_test_ok": ("测试样张已打印，请检查字迹和切纸", "Test page printed: check text and cut"),
    "tech_test_failed": ("测试样张打印失败：{reason}", "Test page failed: {reason}"),
    "tech_reprinted": ("{number} 已补打", "{number} reprinted"),
    "tech_reprint_failed": ("补打失败：{reason}", "Reprint failed: {reason}"),
    "scan_token_ok": ("预约二维码：签名有效", "Appointment QR: signature valid"),
    "scan_ticket_token_ok": ("手机取号二维码：签名有效", "Phone ticket QR: signature valid"),
    "scan_token_bad": ("预约二维码：{reason}", "Appointment QR: {reason}"),
    "scan_identity": ("身份证号（18 位，校验正确，内容不显示）", "ID number (18, valid, hidden)"),
    "scan_code": ("6 位预约码", "6-digit appointment code"),
    "scan_other": ("其他条码（{n} 个字符）", "Other code ({n} characters)"),
    "scan_rejected": ("已丢弃：{reason}", "Dropped: {reason}"),
    # check-in classification problems
    "bad_identity": (
        "证件号码读取有误，请重新刷卡或扫码",
        "The ID number was misread; please try again",
    ),
    "no_identity_key": (
        "本机暂不支持刷证签到，请扫描预约二维码或输入预约码",
        "ID check-in is not set up here; scan the QR code or type the code",
    ),
    "no_token_key": (
        "本机暂不支持扫码签到，请输入预约码，或输入号码和手机尾号",
        "QR check-in is not set up here; type your code, or your number and phone digits",
    ),
    "unknown_code": (
        "无法识别，请扫描预约二维码或取号二维码，或输入预约码",
        "Not recognised; scan the QR code of your booking or phone ticket, or type the code",
    ),
    # printer states
    "state_ok": ("正常", "ok"),
    "state_paper_near_end": ("纸将用尽", "paper low"),
    "state_paper_out": ("缺纸", "out of paper"),
    "state_cover_open": ("纸仓盖未关", "cover open"),
    "state_offline": ("离线", "offline"),
    "state_error": ("故障", "error"),
    "state_unknown": ("无应答", "not answering"),
    "state_timeout": ("超时", "timed out"),
    "state_print_interrupted": ("打印中断", "print interrupted"),
    "state_unconfirmed": ("未确认", "not confirmed"),
}

# The hub's refusal codes with words of our own for English (Chinese comes from the hub).
REFUSALS_EN: dict[str, str] = {
    "outside_hours": "This service is not open now.",
    "quota_reached": "All of today's tickets for this service have been taken.",
    "service_not_offered": "This service is not offered in this hall.",
    "day_closed": "Today's service has ended.",
    "numbers_exhausted": "No more numbers today for this service.",
    "clock_not_set": "The system clock is not set; ask the staff.",
    "appointment_not_found": "No appointment found.",
    "appointment_cancelled": "This appointment was cancelled.",
    "already_checked_in": "This appointment is already checked in.",
    "appointment_expired": "This appointment's date has passed.",
    "appointment_not_today": "Your appointment is on another day.",
    "too_early": "Check-in has not opened yet for your time slot.",
    "appointment_other_hall": "This appointment is for another hall.",
    "token_malformed": "The QR code could not be read.",
    "token_invalid": "The QR code is not a valid appointment code.",
    "token_expired": "The QR code has expired; refresh it on your phone.",
}


ARRIVAL_REFUSALS: dict[str, tuple[str, str, str]] = {
    # code: (message, hint, English): the kiosk's own words for a phone ticket's arrival,
    # whatever the hub or the token check said (the same codes mean something else for an
    # appointment: "二维码已过期" of a booking is refreshed the same way, but a hall's words
    # for a ticket taken on a phone are these)
    "not_yours": (
        "号码与手机尾号不符",
        "请核对手机上的号码和取号手机号的后四位，或到服务台咨询",
        "The number and the phone's last four digits do not match.",
    ),
    "other_hall": (
        "这是其他大厅的号，不能在本大厅签到",
        "请到取号时选择的大厅签到，或在本大厅重新取号",
        "This ticket is for another hall.",
    ),
    "token_expired": (
        "二维码已过期",
        "请在手机上刷新二维码后再扫，或输入号码和手机尾号",
        "The QR code has expired; refresh it on your phone.",
    ),
    "token_invalid": (
        "二维码校验未通过",
        "请出示城市平台手机取号页面上的二维码，或输入号码和手机尾号",
        "The QR code is not a valid ticket code.",
    ),
    "token_malformed": (
        "二维码无法识别",
        "请重新扫描，或输入号码和手机尾号",
        "The QR code could not be read.",
    ),
    "no_show": (
        "已超过到场时间，此号已取消，请重新取号",
        "可以在本机取号，或在手机上重新取号",
        "You arrived after the time to arrive by: this number is cancelled. "
        "Please take a new ticket.",
    ),
    "ticket_voided": (
        "此号已作废",
        "请重新取号",
        "This number is cancelled. Please take a new one.",
    ),
    "ticket_done": (
        "此号已办结",
        "如需再次办理，请重新取号",
        "This number has been served already.",
    ),
    "unknown_ticket": (
        "没有找到这个号",
        "只能签到今天在本大厅取的号；请到服务台咨询",
        "No such ticket today in this hall.",
    ),
    "bad_arrival": (
        "请扫描手机上的取号二维码，或输入号码和手机尾号",
        "",
        "Scan the ticket's QR code on your phone, or type its number and phone digits.",
    ),
}


CATEGORIES_EN: dict[str, str] = {
    "社会保障": "Social security",
    "医疗保障": "Medical insurance",
    "不动产登记": "Real estate",
    "住房公积金": "Housing fund",
    "公安户籍": "Household register",
    "公安出入境": "Exit and entry",
    "公安交管": "Traffic and vehicles",
    "市场监管": "Business licences",
    "税务": "Tax",
    "民政": "Civil affairs",
    "人力资源": "Employment",
    "综合服务": "General",
    "其他": "Other",
}
"""The usual service categories in English (a catalog category not here stays Chinese)."""


def category_text(category: str, lang: Lang) -> str:
    return CATEGORIES_EN.get(category, category) if lang == "en" else category


def t(key: str, lang: Lang, **values: Any) -> str:
    """The text ``key`` in ``lang`` with ``values`` filled in."""
    zh, en = TEXTS[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def refusal_text(code: str, message: str, hint: str, lang: Lang) -> tuple[str, str]:
    """(message, hint) of a refusal as shown: the hub's Chinese, or our English."""
    if lang == "en" and code in REFUSALS_EN:
        return REFUSALS_EN[code], ""
    return message, hint


def arrival_refusal_text(code: str, message: str, hint: str, lang: Lang) -> tuple[str, str]:
    """(message, hint) of a refused arrival: the kiosk's words for the codes it knows."""
    if code in ARRIVAL_REFUSALS:
        zh, zh_hint, en = ARRIVAL_REFUSALS[code]
        return (en, "") if lang == "en" else (zh, zh_hint)
    return refusal_text(code, message, hint, lang)


def state_text(state: str, lang: Lang) -> str:
    key = f"state_{state}"
    return t(key, lang) if key in TEXTS else state
