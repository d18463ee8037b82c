"""What the application's own subcommands share beyond `hall.clikit`: the composed config
and the store (read side) of this box."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from appliance import config
from hall.store.store import HallStore, StoreError
from hall.system import SystemClock


def load_config(path: str) -> config.HallConfig:
    return config.load(path)


@contextmanager
def open_store(cfg: config.HallConfig, *, must_exist: bool = True) -> Iterator[HallStore]:
    path = cfg.database_path
    if must_exist and not path.exists():
        raise StoreError(f"{path} does not exist: run `hall init --config {cfg.source}` first")
    store = HallStore(path, hall_id=cfg.hall.id, tz=cfg.tz, rules=cfg.rules(), clock=SystemClock())
    try:
        yield store
    finally:
        store.close()
