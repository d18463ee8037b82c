"""What the application's own subcommands share beyond `hall.clikit`: the composed config,
the read side of this box's database, and the writer's store for the few commands that
write without a hub (`hall init`, `hall rebuild`), which hold the hub's lock while they do.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from appliance import config
from hall.clikit import EXIT_STORE, fail
from hall.singleton import AlreadyRunning, LockError, hold_lock
from hall.store.read import DatabaseMissing, HallReader
from hall.store.store import HallStore, StoreError
from hall.system import SystemClock


def load_config(path: str) -> config.HallConfig:
    return config.load(path)


def _missing(cfg: config.HallConfig) -> str:
    return f"{cfg.database_path} does not exist: run `hall init --config {cfg.source}` first"


@contextmanager
def open_reader(cfg: config.HallConfig) -> Iterator[HallReader]:
    """The hall's database, read-only (the hub may be running)."""
    try:
        reader = HallReader.open(cfg.database_path)
    except DatabaseMissing:
        raise StoreError(_missing(cfg)) from None
    try:
        yield reader
    finally:
        reader.close()


@contextmanager
def hold_database(cfg: config.HallConfig, what: str, stop_hub: str) -> Iterator[None]:
    """Hold the hub's lock on the database for `what`; refuse in one line (exit 4) while a
    hub holds it, saying `stop_hub` (what to do about it)."""
    try:
        lock = hold_lock(cfg.database_path, what)
    except AlreadyRunning as exc:
        fail(f"{exc}. {stop_hub}", EXIT_STORE)
    except LockError as exc:
        fail(str(exc), EXIT_STORE)
    try:
        yield
    finally:
        lock.close()


@contextmanager
def open_store(cfg: config.HallConfig, *, must_exist: bool = True) -> Iterator[HallStore]:
    """The writer's store. Only under `hold_database`: the hub is the one writer."""
    path = cfg.database_path
    if must_exist and not path.exists():
        raise StoreError(_missing(cfg))
    store = HallStore(path, hall_id=cfg.hall.id, tz=cfg.tz, rules=cfg.rules(), clock=SystemClock())
    try:
        yield store
    finally:
        store.close()
