"""Provisioning: from a verified bundle (or the technician's answers) to config and secrets.

`make_plan` checks everything and builds every file in memory; nothing is written until
it has passed (a refused bundle changes nothing). `apply` stages each file with its mode
and owner beside its final name, then renames them into place, the config file last.

Layout (config in /etc/hall, state in /var/lib/hall on the box):

    hall.toml            0640  the config (previous one kept as hall.toml.bak)
    city-ca.pem          0644  the city CA                          (sync boxes)
    hall.crt             0644  the hall's client certificate       (sync boxes)
    secrets/       0750
      hall.key           0600  its private key (hall-sync's)       (sync boxes)
      id-hash.key        0600  the identity-hash key, 64 hex chars (kiosk boxes; hall-kiosk's)
    catalog.json         0644  the first catalog, when the bundle carries one
    provisioned.json     0644  hall id, roles of this box, bundle id, certificate expiry

As root each file gets the owner of appliance/ops/layout.py (a user per role: the config
hall-sync:hall, a secret its role's user, the rest root); with --owner, that one.
A hub box then gets its hall-bus trust (`hall device setup`: the hall's CA, a password per
role, the broker's files).
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from appliance import config as hall_config
from appliance.ops import certs, files
from appliance.ops.bundle import ROLES, BundleError, Payload
from hall import tomlwrite
from hall.core.catalog import CatalogError, parse_catalog

PLAUSIBLE_FROM = datetime(2025, 1, 1, tzinfo=UTC)
MARKER = "provisioned.json"


@dataclass(frozen=True)
class Layout:
    config: Path
    state_dir: Path

    @property
    def etc(self) -> Path:
        return self.config.parent

    @property
    def secrets(self) -> Path:
        return self.etc / "secrets"

    @property
    def marker(self) -> Path:
        return self.etc / MARKER

    def ref(self, path: Path) -> str:
        """How the config names ``path``: relative to the config file when beside it."""
        try:
            return str(path.relative_to(self.etc))
        except ValueError:
            return str(path)


@dataclass
class Plan:
    payload: Payload
    layout: Layout
    files: list[tuple[Path, bytes, int]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    cert: certs.CertInfo | None = None
    config_text: str = ""
    secret_roles: dict[Path, str] = field(default_factory=dict)  # whose group reads it

    def add(self, path: Path, data: bytes, mode: int) -> None:
        self.files.append((path, data, mode))


def read_existing(path: Path) -> dict[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise BundleError(f"{path}: cannot read the existing config: {exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BundleError(
            f"{path}: the existing config is not valid TOML ({exc}); fix or move it away first"
        ) from None


def existing_hall_id(existing: dict[str, Any] | None) -> str | None:
    hall = (existing or {}).get("hall")
    hid = hall.get("id") if isinstance(hall, dict) else None
    return hid if isinstance(hid, str) else None


def check_hall(payload: Payload, expected: str | None) -> None:
    if expected is not None and payload.hall_id != expected:
        raise BundleError(
            f"this bundle is for hall {payload.hall_id} ({payload.hall_name}), "
            f"but this box belongs to hall {expected}: use the bundle made for {expected}"
        )


def effective_now(payload: Payload, wall: float) -> tuple[datetime, bool]:
    """(now, clock trusted): never earlier than the bundle's signed issue time."""
    now = certs.utc(wall)
    trusted = now >= PLAUSIBLE_FROM
    issued = payload.issued_at.astimezone(UTC)
    return (max(now, issued), trusted)


def make_plan(
    payload: Payload,
    layout: Layout,
    *,
    expected_hall: str | None,
    wall: float,
    source: str = "bundle",
) -> Plan:
    """Check the payload against this box and build every file; raises BundleError."""
    existing = read_existing(layout.config)
    check_hall(payload, expected_hall or existing_hall_id(existing))
    plan = Plan(payload, layout)
    now, clock_ok = effective_now(payload, wall)
    if not clock_ok:
        plan.warnings.append(
            "the box's clock is not set (before 2025): set it (NTP) before opening the hall"
        )
    if payload.expires_at is not None and now > payload.expires_at.astimezone(UTC):
        raise BundleError(
            f"this bundle expired on {payload.expires_at:%Y-%m-%d %H:%M %z}: "
            "ask the city for a new one"
        )
    roles: set[str] = set(payload.roles)
    data = _base_config(existing, payload, layout)
    _city(plan, data, roles, now, clock_ok)
    _kiosk_keys(plan, data, roles)
    catalog = _catalog(plan, data, existing, roles)
    _counters(plan, data, catalog, roles)
    _validate(plan, data, catalog)
    header = (
        f"The hall's config, written by `hall provision` ({source} {payload.bundle_id}) "
        f"on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.\n"
        "Every key is checked at start-up: `hall config check` this file after editing it.\n"
        "Keys and their meaning: config/hall.schema.json and config/examples/."
    )
    plan.config_text = tomlwrite.dumps(data, header=header)
    marker = {
        "hall_id": payload.hall_id,
        "hall_name": payload.hall_name,
        "roles": list(payload.roles),
        "bundle_id": payload.bundle_id,
        "source": source,
        "issued_at": payload.issued_at.isoformat(),
        "provisioned_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cert_not_after": plan.cert.not_after.isoformat() if plan.cert else None,
    }
    text = json.dumps(marker, ensure_ascii=False, indent=1) + "\n"
    plan.add(layout.marker, text.encode("utf-8"), 0o644)
    return plan


def _base_config(existing: dict[str, Any] | None, p: Payload, layout: Layout) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(existing or {}))  # a deep copy
    hall = data.setdefault("hall", {})
    hall["id"] = p.hall_id
    hall["name"] = p.hall_name
    hall["timezone"] = p.timezone
    hall["roles"] = [r for r in ROLES if r in p.roles]  # `hall doctor` checks these
    hall.setdefault("database", layout.ref(layout.state_dir / "hall.db"))
    hall.setdefault("catalog", "catalog.json")
    bus = data.setdefault("bus", {})
    bus["host"] = "127.0.0.1" if "hub" in p.roles else p.bus_host
    bus["port"] = p.bus_port
    for section, key, default in (
        ("kiosk", "state_dir", "kiosk-state"),
        ("pads", "state_file", "pads-state.db"),
        ("sync", "state_file", "sync.db"),
    ):
        table = data.setdefault(section, {})
        table.setdefault(key, layout.ref(layout.state_dir / default))
    for role, ident in p.ids.items():
        data.setdefault(role, {})["id"] = ident
    return data


def _city(plan: Plan, data: dict[str, Any], roles: set[str], now: datetime, clock: bool) -> None:
    p = plan.payload
    if "sync" not in roles:
        return
    if p.city is None:
        raise BundleError("this box runs the city sync, but the bundle carries no city link")
    city = p.city
    try:
        plan.cert = certs.check_client_cert(
            city.cert_pem.encode(),
            city.key_pem.encode(),
            city.ca_pem.encode(),
            p.hall_id,
            now,
            clock_trusted=clock,
        )
    except certs.CertError as exc:
        raise BundleError(str(exc)) from None
    days = plan.cert.days_left(now)
    if days < certs.WARN_DAYS:
        plan.warnings.append(
            f"the client certificate expires in {days:.0f} days: ask the city for a new one"
        )
    lay = plan.layout
    sync = data.setdefault("sync", {})
    sync["enabled"] = True
    sync["broker_url"] = city.broker_url
    sync["ca_file"] = "city-ca.pem"
    sync["cert_file"] = "hall.crt"
    sync["key_file"] = "secrets/hall.key"
    plan.add(lay.etc / "city-ca.pem", city.ca_pem.encode(), 0o644)
    plan.add(lay.etc / "hall.crt", city.cert_pem.encode(), 0o644)
    plan.add(lay.secrets / "hall.key", city.key_pem.encode(), 0o600)
    plan.secret_roles[lay.secrets / "hall.key"] = "sync"


def _kiosk_keys(plan: Plan, data: dict[str, Any], roles: set[str]) -> None:
    p = plan.payload
    if "kiosk" not in roles:
        return
    kiosk = data.setdefault("kiosk", {})
    try:
        if p.token_public_key:
            kiosk["city_public_key"] = certs.token_key_text(p.token_public_key)
        else:
            plan.warnings.append(
                "no public key for appointment QR codes: the kiosk cannot check them"
            )
        if p.id_hash_key:
            raw = certs.check_hash_key(p.id_hash_key)
            kiosk["id_hash_key_file"] = "secrets/id-hash.key"
            text = raw.hex().encode("ascii") + b"\n"  # the city's form: 64 hex characters
            plan.add(plan.layout.secrets / "id-hash.key", text, 0o600)
            plan.secret_roles[plan.layout.secrets / "id-hash.key"] = "kiosk"
        else:
            plan.warnings.append("no identity-hash key: the kiosk cannot find bookings by ID card")
    except certs.CertError as exc:
        raise BundleError(str(exc)) from None


def _catalog(
    plan: Plan, data: dict[str, Any], existing: dict[str, Any] | None, roles: set[str]
) -> dict[str, Any] | None:
    p = plan.payload
    path = plan.layout.etc / data["hall"]["catalog"]
    if p.catalog is not None:
        text = json.dumps(p.catalog, ensure_ascii=False, indent=1) + "\n"
        plan.add(path, text.encode("utf-8"), 0o644)
        return p.catalog
    try:
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return loaded
    except FileNotFoundError:
        if "hub" in roles:
            raise BundleError(
                f"the bundle carries no catalog and {path} does not exist: copy the hall's "
                "catalog (contract shape) there first"
            ) from None
        plan.warnings.append(f"no catalog at {path}: only the hub needs one")
        return None
    except json.JSONDecodeError as exc:
        raise BundleError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None


def _counters(
    plan: Plan, data: dict[str, Any], catalog: dict[str, Any] | None, roles: set[str]
) -> None:
    """The hub needs [[counters]]; a pads box names its devices' counters; others none."""
    p = plan.payload
    if not roles & {"hub", "pads"}:
        return  # a kiosk or display box: the hub knows the counters
    if p.counters:
        data["counters"] = [
            {"id": c.id, **({"name": c.name} if c.name else {}), "services": list(c.services)}
            for c in p.counters
        ]
        return
    if data.get("counters"):
        return
    services = [s.get("code") for s in (catalog or {}).get("services", []) if isinstance(s, dict)]
    if not services:
        if "hub" not in roles:
            plan.warnings.append(
                "no counters given: list the counters of this box's pads in [[counters]]"
            )
            return
        raise BundleError("no counters in the bundle, in the config or from a catalog")
    data["counters"] = [{"id": "1", "services": services}]
    plan.warnings.append(
        "no counters given: wrote one counter '1' for every service; edit [[counters]]"
    )


def _validate(plan: Plan, data: dict[str, Any], catalog: dict[str, Any] | None) -> None:
    try:
        cfg = hall_config.parse(data, plan.layout.config)
    except hall_config.ConfigError as exc:
        raise BundleError(f"the config this would write is not valid:\n{exc}") from None
    if catalog is None:
        return
    try:
        codes = {s.code for s in parse_catalog(catalog).services}
    except CatalogError as exc:
        raise BundleError(f"the catalog is not valid: {exc}") from None
    for c in cfg.counters:
        unknown = sorted(set(c.services) - codes)
        if unknown:
            raise BundleError(
                f"counter {c.id}: services {', '.join(unknown)} are not in the catalog"
            )


def apply(plan: Plan, owner: files.Owner | None, *, per_role: bool = False) -> list[Path]:
    """Write the plan's files; the config file last. Returns the paths written. `per_role`
    (root): each file its own owner (appliance/ops/layout.py); else `owner` for all."""
    from appliance.ops import accounts

    lay = plan.layout

    def who(path: Path) -> files.Owner | None:
        if not per_role:
            return owner
        if path == lay.config:
            return accounts.owner("hall-sync", accounts.SHARED_GROUP)
        if path in plan.secret_roles:
            return accounts.secret_owner(plan.secret_roles[path])
        return accounts.root_owner()

    if per_role:
        etc_owner = accounts.owner(None, "hall-sync")
        files.ensure_dir(lay.etc, 0o1771 if etc_owner else 0o750, etc_owner)
        files.ensure_dir(lay.state_dir, 0o750, accounts.owner("hall-hub", accounts.SHARED_GROUP))
    else:
        files.ensure_dir(lay.etc, 0o750, owner)
        files.ensure_dir(lay.state_dir, 0o750, owner)
    if any(path.parent == lay.secrets for path, _d, _m in plan.files):
        files.ensure_dir(lay.secrets, 0o750, accounts.config_owner() if per_role else owner)
    staged: list[tuple[Path, Path]] = []
    try:
        for path, data, mode in plan.files:
            staged.append((files.stage(path, data, mode, who(path)), path))
        if lay.config.exists():
            backup = lay.config.with_name(lay.config.name + ".bak")
            bak_owner = accounts.root_owner() if per_role else owner
            staged.append((files.stage(backup, lay.config.read_bytes(), 0o600, bak_owner), backup))
        text = plan.config_text.encode("utf-8")
        staged.append((files.stage(lay.config, text, 0o640, who(lay.config)), lay.config))
    except BaseException:
        files.discard(staged)
        raise
    files.commit(staged)
    return [final for _tmp, final in staged]
