"""`hall provision --interactive`: the bundle's contents asked for, in Chinese or English,
for halls that have no bundle. The answers become the same payload a bundle carries (not
signed: the technician at the box is trusted) and go through the same checks."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from appliance.ops import certs
from appliance.ops.bundle import HALL_ID, ROLES, CityLink, Payload

TEXTS: dict[str, dict[str, str]] = {
    "intro": {
        "zh": "没有配置包时手工配置本机。请准备：大厅编号、城市平台地址和证书文件。",
        "en": "Provision this box by hand. Have ready: the hall id, the city broker and the "
        "certificate files.",
    },
    "hall_id": {"zh": "大厅编号（如 410411-ZH01）", "en": "Hall id (like 410411-ZH01)"},
    "hall_name": {"zh": "大厅名称", "en": "Hall name (shown and printed)"},
    "roles": {
        "zh": "本机角色（逗号分隔：hub,kiosk,display,pads,sync）",
        "en": "Roles of this box (comma-separated: hub,kiosk,display,pads,sync)",
    },
    "bus_host": {
        "zh": "主机（hub）的局域网地址",
        "en": "LAN address of the hub box (its Mosquitto)",
    },
    "broker_url": {
        "zh": "城市平台地址（mqtts://主机:8883）",
        "en": "City broker (mqtts://host:8883)",
    },
    "ca": {"zh": "城市 CA 证书文件（PEM）", "en": "City CA file (PEM)"},
    "cert": {"zh": "本大厅客户端证书文件（PEM）", "en": "The hall's client certificate (PEM)"},
    "key": {"zh": "客户端私钥文件（PEM）", "en": "Its private key file (PEM)"},
    "token_key": {
        "zh": "预约二维码公钥（base64，回车跳过）",
        "en": "Public key for appointment QR codes (base64; Enter to skip)",
    },
    "id_hash": {
        "zh": "身份证号哈希密钥（base64 或文件路径，回车跳过）",
        "en": "Identity-hash key (base64 or a file path; Enter to skip)",
    },
    "catalog": {
        "zh": "事项目录文件（JSON）",
        "en": "Service catalog file (JSON, contract shape)",
    },
    "confirm": {"zh": "写入以上配置？", "en": "Write this configuration?"},
    "bad_hall_id": {
        "zh": "格式应为六位区划代码-1至12位大写字母数字",
        "en": "six digits, a dash, 1-12 of A-Z0-9",
    },
    "bad_roles": {"zh": "未知角色", "en": "unknown role(s)"},
    "no_file": {"zh": "文件不存在", "en": "no such file"},
}


def t(key: str, lang: str) -> str:
    return TEXTS[key][lang]


def _file(lang: str) -> Callable[[str], str]:
    def read(value: str) -> str:
        path = Path(value).expanduser()
        try:
            return path.read_text(encoding="utf-8")
        except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError):
            raise click.BadParameter(f"{t('no_file', lang)}: {value}") from None

    return read


def _json_file(lang: str) -> Callable[[str], dict[str, Any]]:
    def read(value: str) -> dict[str, Any]:
        text = _file(lang)(value)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise click.BadParameter(f"not JSON ({exc.msg}, line {exc.lineno})") from None
        if not isinstance(data, dict):
            raise click.BadParameter("not a catalog (a JSON object)")
        return data

    return read


def _hall_id(lang: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        value = value.strip().upper()
        if not HALL_ID.match(value):
            raise click.BadParameter(t("bad_hall_id", lang))
        return value

    return check


def _roles(lang: str) -> Callable[[str], list[str]]:
    def check(value: str) -> list[str]:
        roles = [r.strip() for r in value.split(",") if r.strip()]
        bad = [r for r in roles if r not in ROLES]
        if bad or not roles:
            raise click.BadParameter(f"{t('bad_roles', lang)}: {', '.join(bad) or '-'}")
        return list(dict.fromkeys(roles))

    return check


def _checked(check: Callable[[str], object], lang: str) -> Callable[[str], str]:
    def proc(value: str) -> str:
        value = value.strip()
        if value:
            try:
                check(value)
            except (certs.CertError, ValueError) as exc:
                raise click.BadParameter(str(exc)) from None
        return value

    return proc


def _id_hash(lang: str) -> Callable[[str], str]:
    def proc(value: str) -> str:
        value = value.strip()
        if not value:
            return ""
        if Path(value).expanduser().is_file():
            value = Path(value).expanduser().read_text(encoding="utf-8").strip()
        try:
            certs.check_secret_b64(value, "id-hash key")
        except certs.CertError as exc:
            raise click.BadParameter(str(exc)) from None
        return value

    return proc


def _broker(value: str) -> str:
    from sync.settings import SyncSection

    try:
        SyncSection(broker_url=value.strip())
    except ValidationError as exc:
        raise click.BadParameter(exc.errors()[0]["msg"].removeprefix("Value error, ")) from None
    return value.strip()


def ask(lang: str, defaults: dict[str, Any], catalog_needed: bool) -> Payload:
    """Ask every question; return the payload the answers make."""
    click.echo(t("intro", lang))
    answers: dict[str, Any] = {
        "v": 1,
        "kind": "hall-provisioning",
        "bundle_id": f"manual-{uuid.uuid4().hex[:8]}",
        "issued_at": datetime.now(UTC).isoformat(),
    }
    answers["hall_id"] = click.prompt(
        t("hall_id", lang), default=defaults.get("hall_id"), value_proc=_hall_id(lang)
    )
    answers["hall_name"] = click.prompt(t("hall_name", lang), default=defaults.get("hall_name"))
    roles: list[str] = click.prompt(
        t("roles", lang), default=",".join(ROLES), value_proc=_roles(lang)
    )
    answers["roles"] = roles
    if "hub" not in roles:
        answers["bus_host"] = click.prompt(t("bus_host", lang))
    if "sync" in roles:
        read = _file(lang)
        answers["city"] = CityLink(
            broker_url=click.prompt(t("broker_url", lang), value_proc=_broker),
            ca_pem=click.prompt(t("ca", lang), value_proc=read),
            cert_pem=click.prompt(t("cert", lang), value_proc=read),
            key_pem=click.prompt(t("key", lang), value_proc=read),
        )
    if "kiosk" in roles:
        answers["token_public_key"] = click.prompt(
            t("token_key", lang),
            default="",
            show_default=False,
            value_proc=_checked(certs.check_ed25519_public, lang),
        )
        answers["id_hash_key"] = click.prompt(
            t("id_hash", lang), default="", show_default=False, value_proc=_id_hash(lang)
        )
    if catalog_needed:  # every box: `hall config check` reads it, the hub starts from it
        answers["catalog"] = click.prompt(t("catalog", lang), value_proc=_json_file(lang))
    return Payload.model_validate(answers)
