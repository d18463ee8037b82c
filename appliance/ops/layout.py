"""Each file of the hall with its owner and mode: a user per role (docs/SECURITY.md).

    /etc/hall               root:hall-sync 1771  sticky: sync may replace its hall.toml only;
                                                  nobody but root renames trust/ or secrets/
      hall.toml             hall-sync:hall 0640  every role reads it; sync writes the city's
                                                  settings into it
      trust/                root 0755            trust anchors: root's, files 0644
      secrets/              root:hall 0750
        hall.key            hall-sync:root 0600  the city link's key
        id-hash.key         hall-kiosk:root 0600
        hall-bus-ca.key     root 0600
        bus/<device>.key    <its role's user>:root 0600 (a technician's: root)
      bus/                  root:mosquitto 0750  (appliance/ops/busfiles.py)
      devices.toml, provisioned.json, catalog.json, city-ca.pem, hall.crt   root 0644
    /var/lib/hall           hall-hub:hall 0750   the hub's: only it creates files here
      hall.db, -wal, -shm   hall-hub:hall-db 0640  sync reads (group hall-db); kiosk cannot
      backups/              root 0700            copies taken by `hall migrate`
      kiosk-state/          hall-kiosk 0700      (the config's kiosk.state_dir)
      pads/, sync/          hall-pads, hall-sync 0700: their state files; the config's path
                                                  (/var/lib/hall/pads-state.db) is a link there

`lay_out` makes it so (deploy/install.sh runs `hall permissions` after every install, with
the roles stopped; `hall provision` after writing). As another user than root, or on a box
without these users, it sets the modes only.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from appliance.config import HallConfig
from appliance.ops import accounts
from appliance.ops.busfiles import BusFiles
from hall.files import Owner, chown
from hall.hubapi.acl import HUB_ID

DB_SUFFIXES = ("", "-wal", "-shm", "-journal", ".head", ".lock")


@dataclass
class Laid:
    changed: list[str] = field(default_factory=list)
    moved: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _set(path: Path, mode: int, who: Owner | None, out: Laid) -> None:
    if not path.exists() and not path.is_symlink():
        return
    st = path.lstat()
    if stat.S_ISLNK(st.st_mode):
        if who is not None and (st.st_uid, st.st_gid) != (who.uid, who.gid):
            os.lchown(path, who.uid, who.gid)
        return
    if stat.S_IMODE(st.st_mode) != mode:
        os.chmod(path, mode)
        out.changed.append(f"{oct(mode)[2:]} {path}")
    if who is not None and (st.st_uid, st.st_gid) != (who.uid, who.gid):
        chown(path, who)
        out.changed.append(f"{who.name}:{who.gid} {path}")


def _role_owner(role: str) -> Owner | None:
    user = accounts.ROLE_USERS[role]
    return accounts.owner(user, user)


def lay_out(cfg: HallConfig, *, move: bool = True) -> Laid:
    """Give the config's files and the roles' state their owners and modes."""
    out = Laid()
    etc = cfg.base
    sync_owned = accounts.owner(None, "hall-sync")
    _set(etc, 0o1771 if sync_owned else 0o750, sync_owned or accounts.config_owner(), out)
    _set(cfg.source, 0o640, accounts.owner("hall-sync", accounts.SHARED_GROUP), out)
    backup = cfg.source.with_name(cfg.source.name + ".bak")
    _set(backup, 0o600, accounts.root_owner(), out)
    root = accounts.root_owner()
    for name in ("devices.toml", "provisioned.json", "city-ca.pem", "hall.crt"):
        _set(etc / name, 0o644, root, out)
    _set(cfg.catalog_path, 0o644, root, out)
    trust = etc / "trust"
    _set(trust, 0o755, root, out)
    if trust.is_dir():
        for f in trust.iterdir():
            _set(f, 0o644, root, out)
    _secrets(cfg, out)
    _broker(cfg, out)
    if cfg.has_role("hub") or cfg.database_path.exists():
        _state(cfg, out, move=move)
    return out


def _secrets(cfg: HallConfig, out: Laid) -> None:
    secrets = cfg.base / "secrets"
    _set(secrets, 0o750, accounts.config_owner(), out)
    _set(secrets / "hall.key", 0o600, accounts.secret_owner("sync"), out)
    _set(cfg.base / cfg.sync.key_file, 0o600, accounts.secret_owner("sync"), out)
    if cfg.kiosk.id_hash_key_file:
        _set(cfg.base / cfg.kiosk.id_hash_key_file, 0o600, accounts.secret_owner("kiosk"), out)
    _set(secrets / "hall-bus-ca.key", 0o600, accounts.root_owner(), out)
    keys = cfg.base / cfg.bus.credentials
    _set(keys, 0o750, accounts.config_owner(), out)
    roles = {
        HUB_ID: "hub",
        cfg.kiosk.id: "kiosk",
        cfg.display.id: "display",
        cfg.pads.id: "pads",
        cfg.sync.id: "sync",
    }
    if keys.is_dir():
        for key in keys.glob("*.key"):
            role = roles.get(key.stem, "tool")
            _set(key, 0o600, accounts.secret_owner(role), out)


def _broker(cfg: HallConfig, out: Laid) -> None:
    files = BusFiles(cfg.base)
    who = accounts.broker_owner()
    _set(files.bus_dir, 0o750, who, out)
    for f in (files.passwd, files.acl, files.server_key):
        _set(f, 0o640, who, out)
    _set(files.server_cert, 0o644, who, out)


def _state(cfg: HallConfig, out: Laid, *, move: bool) -> None:
    db = cfg.database_path
    state = db.parent
    hub = accounts.owner("hall-hub", accounts.SHARED_GROUP)
    state.mkdir(parents=True, exist_ok=True)
    _set(state, 0o750, hub, out)
    reader = accounts.owner("hall-hub", accounts.DB_GROUP)
    for suffix in DB_SUFFIXES:
        _set(db.with_name(db.name + suffix), 0o640, reader, out)
    backups = state / "backups"
    _set(backups, 0o700, accounts.root_owner(), out)
    if backups.is_dir():
        for f in backups.iterdir():
            _set(f, 0o600, accounts.root_owner(), out)
    kiosk_state = (cfg.base / cfg.kiosk.state_dir).resolve()
    if kiosk_state.parent == state.resolve() or kiosk_state.is_dir():
        kiosk_state.mkdir(parents=True, exist_ok=True)
        _tree(kiosk_state, _role_owner("kiosk"), out)
    for role, path in (("pads", cfg.pads.state_file), ("sync", cfg.sync.state_file)):
        _own_state(state, cfg.base / path, role, out, move=move)


def _tree(folder: Path, who: Owner | None, out: Laid) -> None:
    _set(folder, 0o700, who, out)
    for path in folder.rglob("*"):
        _set(path, 0o700 if path.is_dir() else 0o600, who, out)


def _own_state(state: Path, path: Path, role: str, out: Laid, *, move: bool) -> None:
    """A role's state file directly in the hub's folder becomes a link into a folder of the
    role's own (SQLite follows the link and keeps its journal beside the real file)."""
    who = _role_owner(role)
    if path.parent.resolve() != state.resolve():
        if path.exists():  # elsewhere: the role's own folder already
            _set(path, 0o600, who, out)
        return
    folder = state / role
    folder.mkdir(exist_ok=True)
    _set(folder, 0o700, who, out)
    target = folder / path.name
    if path.is_symlink():
        pass
    elif path.exists():
        if not move:
            out.warnings.append(f"{path}: in the hub's folder; stop hall-{role} and lay out again")
            return
        for suffix in ("", "-wal", "-shm", "-journal"):
            old = path.with_name(path.name + suffix)
            if old.exists():
                os.replace(old, folder / old.name)
        out.moved.append(f"{path} -> {target}")
        path.symlink_to(Path(role) / path.name)
    else:
        path.symlink_to(Path(role) / path.name)
        out.changed.append(f"{path} -> {target}")
    for f in folder.iterdir():
        _set(f, 0o600, who, out)
