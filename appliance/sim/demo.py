"""`hall demo --headless`: a county hall's simulated day over the hall bus, written to a folder.

The hub runs as it does in a hall (the queue core behind the bus); the simulated citizens
and counters are bus clients like the kiosk and the pads, on the in-process bus or on a
private Mosquitto (`bus="mqtt"`). Time is simulated: the hub's clock is moved by the
simulation, nothing sleeps, a whole day takes well under a minute.
"""

from __future__ import annotations

import json
import logging
import random
import shutil
import time
from collections.abc import Callable
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from appliance import config, report
from appliance.local import LocalHall, Transport
from appliance.sim.day import DayPlan, DaySimulation, staffed_counters
from appliance.sim.figures import error_figures, estimate_errors
from appliance.sim.phones import PhoneCitizens
from hall.core import commands as c
from hall.core.catalog import parse_catalog
from hall.core.errors import Refused
from hall.core.model import CounterId, TicketState
from hall.core.state import HallState
from hall.core.timekeeping import FixedClock, at_local
from hall.hubapi.client import CommandRefused, HallClient
from hall.store.read import HallReader

log = logging.getLogger(__name__)


def data_file(name: str) -> Path:
    return Path(str(resources.files("appliance.sim") / "data" / name))


def next_weekday(today: date) -> date:
    d = today
    while d.isoweekday() > 5:
        d += timedelta(days=1)
    return d


PAD_COUNTERS = ("91", "92", "93")
ESTIMATE_NOTE = (
    "every ticket issued with an estimate and called since, from the hub's event log: "
    "the estimate at issue minus the minutes from issue to the first call"
)


class BusPort:
    """The simulation's citizens and counters as clients of the hub over the hall bus."""

    def __init__(self, client: HallClient) -> None:
        self.client = client

    def execute(self, cmd: c.Command) -> dict[str, Any]:
        try:
            return self.client.run(cmd).to_dict()
        except CommandRefused as r:
            raise Refused(r.code, r.message, r.hint) from None


class Roles:
    """The real role code the demo runs beside the simulated citizens: the display (screens
    and announcements), and later the kiosk and the pads. Each writes into the demo folder."""

    def __init__(
        self,
        out: Path,
        hall: LocalHall,
        clock: FixedClock,
        echo: Callable[[str], None],
        *,
        kiosk_at: float,
    ) -> None:
        self.out, self.hall, self.clock, self.echo = out, hall, clock, echo
        self.summary: dict[str, Any] = {}
        self._display: Any = None
        self._kiosk_at: float | None = kiosk_at
        self._files: list[Path] = []
        self._city: Any = None
        self._client: HallClient | None = None
        self._rng = random.Random(0)
        self._arrived: set[str] = set()
        self._checked_in = 0
        self.phones: PhoneCitizens | None = None
        self.day: DaySimulation | None = None  # the pads' staff join it after their session

    def on_step(self, kind: str, data: dict[str, Any]) -> None:
        """Called by the simulation after each step; the kiosk runs once the hall is busy."""
        if self._kiosk_at is not None and self.clock.t >= self._kiosk_at:
            self._kiosk_at = None
            self.run_kiosk()
            self.run_pads()
        if self._city is not None:
            self._check_in_arrivals()
        if self.phones is not None:
            self.phones.tick()

    def run_pads(self) -> None:
        """Staff at counters 91–93 on real pads: the pad simulator on a pty, the bus master
        and the pads service against the hub, scripted presses, what each pad showed."""
        from counter_pad.demo import run_scripted

        self.echo("counters 91–93 work through their call-pads and evaluators…")
        cfg = self.hall.cfg
        pads_cfg = cfg.model_copy(
            update={"counters": [c for c in cfg.counters if c.id in PAD_COUNTERS]}
        )
        # staff numbers 9001… (the simulated staff are 1001…)
        result = run_scripted(self.out, self.hall.bus, pads_cfg, presses=20, staff_base=9000)
        self._files += sorted((self.out / "pads").glob("*.txt"))
        self.summary["pads"] = result
        if self.day is not None:  # the staff stay: they work on like the simulated counters
            for counter in pads_cfg.counters:
                self.day.join(counter.id, list(counter.services), self._in_hand(counter.id))
            self.summary["pads"]["after_session"] = "staff serve on the simulated clock"

    def _in_hand(self, counter: str) -> tuple[str, bool] | None:
        """The ticket the counter holds: its service and whether it is being served."""

        def look(st: HallState) -> tuple[str, bool] | None:
            tid = st.counters[CounterId(counter)].current
            t = st.tickets[tid] if tid is not None else None
            return None if t is None else (t.service, t.state is TicketState.SERVING)

        return self.hall.hub.read(look)

    def start_city(self, client: HallClient, day: date, seed: int) -> None:
        """The city peer on its own Mosquitto (TLS, ACLs) and the hall's `hall sync`: the
        city books appointments for the day, citizens check them in at their slot."""
        from appliance.sim.city import run_with_city_peer

        self.echo("starting the city peer and the hall's city link (TLS)…")
        self._client = client
        self._rng = random.Random(seed)
        self._city = run_with_city_peer(
            self.hall, self.out / "city", appointments=30, day=day, clock=self.clock.wall
        )
        self._city.peer.phones.wall = self.clock.wall  # the phones live in the hall's day
        self.phones = PhoneCitizens(self._city.peer.phones, self.hall, self.clock, seed=seed)
        booked = len(self._city.booked)
        end = time.monotonic() + 30
        while time.monotonic() < end and self._appointments_known() < booked:
            time.sleep(0.05)
        self.summary["city"] = {"appointments_received": self._appointments_known()}

    def _appointments_known(self) -> int:
        return self.hall.hub.read(lambda st: len(st.appointments))

    def _check_in_arrivals(self) -> None:
        if self._client is None:
            return
        now = self.clock.t
        appts = self.hall.hub.read(lambda st: list(st.appointments.values()))
        for a in appts:
            if a.id in self._arrived or a.status.value != "booked":
                continue
            slot = at_local(a.day, a.slot_start.strftime("%H:%M"), self.hall.cfg.tz)
            if now < slot - 10 * 60:
                continue
            self._arrived.add(a.id)
            if self._rng.random() < 0.1:
                continue  # a no-show
            try:
                self._client.execute("check_in", {"code": a.code})
                self._checked_in += 1
            except CommandRefused as r:
                self.summary.setdefault("city", {}).setdefault("check_in_refused", []).append(
                    r.code
                )

    def stop_city(self) -> None:
        if self._city is None:
            return
        synced = self._city.wait_synced(60)
        self.summary["city"] = {
            **self.summary.get("city", {}),
            **self._city.summary(),
            "checked_in_at_kiosk": self._checked_in,
            "all_events_acked": synced,
        }
        if self.phones is not None:
            self.summary["city"]["phones"] = self.phones.summary(self.hall.events())
            self.summary["city"]["phones"]["sync_progress"] = self._city.sync.progress.snapshot()
            self.phones = None
        self._city.stop()
        self._city = None

    def run_kiosk(self) -> None:
        """The real kiosk, offscreen, through its flows (the simulated clock stands still)."""
        from PySide6.QtCore import qInstallMessageHandler

        from kiosk.demo import capture

        # The offscreen platform warns about window hints it ignores: that is for a log.
        qInstallMessageHandler(lambda mode, ctx, text: log.debug("qt: %s", text))
        self.echo("the kiosk takes its turn: screens and printed tickets…")
        t0 = time.perf_counter()
        files = capture(
            self.out, self.hall.bus, self.hall.cfg, clock=self.clock.wall, city=self.hall.city
        )
        self._files += files
        self.summary["kiosk"] = {
            "screens": sum(1 for f in files if f.parent.name == "screens"),
            "tickets": sum(1 for f in files if f.suffix == ".png" and f.parent.name == "tickets"),
            "seconds": round(time.perf_counter() - t0, 1),
        }

    def before_day(self) -> None:
        from display.demo import attach

        self._display = attach(
            self.out, self.hall.bus("display-1", "display"), self.hall.cfg, clock=self.clock
        )

    def after_day(self) -> list[Path]:
        self.stop_city()
        files: list[Path] = list(self._files)
        if self._display is not None:
            shown = self._display.close()
            files += shown
            self.summary["display"] = {
                "screens": sum(1 for f in shown if f.suffix == ".png"),
                "announcements": sum(1 for f in shown if f.suffix == ".wav"),
            }
        return files


def prepare(out: Path, arrivals: int) -> Path:
    """Write the demo hall's config into `out` (the counters staffed for the day's load)."""
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(data_file("catalog.json"), out / "catalog.json")
    shutil.copy(data_file("directory.json"), out / "directory.json")
    db = out / "hall.db"
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    catalog = parse_catalog(json.loads((out / "catalog.json").read_text(encoding="utf-8")))
    text = data_file("county-hall.toml").read_text(encoding="utf-8")
    head = text.split("[[counters]]", 1)[0]
    blocks = []
    staffed = staffed_counters(catalog, arrivals)
    # Three counters more, staffed through the real pads (simulated on a pty) at 10:00.
    for i, pad_id in enumerate(PAD_COUNTERS):
        staffed.append(
            {"id": pad_id, "name": f"{pad_id}号窗口", "services": staffed[i]["services"]}
        )
    for x in staffed:
        services = ", ".join(f'"{s}"' for s in x["services"])
        name = f'name = "{x["name"]}"\n' if x.get("name") else ""
        blocks.append(f'[[counters]]\nid = "{x["id"]}"\n{name}services = [{services}]\n')
    path = out / "hall.toml"
    path.write_text(head + "\n".join(blocks), encoding="utf-8")
    config.load(path)  # the demo's own config must be valid
    return path


def run_demo(
    out: Path,
    *,
    seed: int = 1,
    arrivals: int = 1500,
    minutes: int | None = None,
    day: date | None = None,
    bus: Transport = "inproc",
    city: bool = False,
    echo: Callable[[str], None] = print,
) -> dict[str, Any]:
    out = Path(out)
    cfg_path = prepare(out, arrivals)
    the_day = day or next_weekday(date.today())
    cfg = config.load(cfg_path)
    catalog, _raw = cfg.load_catalog()
    clock = FixedClock(at_local(the_day, "08:00", cfg.tz))
    t0 = time.perf_counter()
    with LocalHall(out / "run", transport=bus, clock=clock, config_path=cfg_path) as hall:
        _bus, client = hall.connect("sim-hall", "tool", timeout=10.0, attempt_timeout=5.0)
        plan = DayPlan(
            day=the_day,
            tz=cfg.tz,
            arrivals=arrivals,
            seed=seed,
            minutes=minutes,
            counters={x.id: list(x.services) for x in cfg.counters if x.id not in PAD_COUNTERS},
        )
        roles = Roles(out, hall, clock, echo, kiosk_at=at_local(the_day, "10:00", cfg.tz))
        if city:
            roles.start_city(client, the_day, seed)
        sim = DaySimulation(
            BusPort(client), clock, catalog, plan, on_step=roles.on_step, phones=roles.phones
        )
        roles.day = sim
        echo(
            f"simulating {the_day.isoformat()} at {cfg.hall.name} "
            f"({arrivals} citizens expected, hall bus: {bus}"
            f"{' on the hall Mosquitto: a password per role, the ACL' if bus == 'mqtt' else ''})…"
        )
        roles.before_day()
        outcome = sim.run()
        hall.settle(5.0)
        role_files = roles.after_day()
        hub_stats = hall.hub.stats()
        hall.write_events(out / "events.jsonl")
        estimate_error = error_figures(estimate_errors(hall.events()))
        hall.flush_tables()  # the report reads the tables: bring them up to the log first
        with HallReader.open(cfg.database_path) as reader:
            rep = report.build(reader, the_day, cfg.tz)
    files = report.write(rep, out / "report", cfg.hall.name)
    summary = {
        "hall": cfg.hall.id,
        "day": the_day.isoformat(),
        "seed": seed,
        "bus": bus,
        "bus_secure": bus == "mqtt" and hall.secure,
        **outcome.summary(),
        "estimate_error_min": {**estimate_error, "note": ESTIMATE_NOTE},
        "hub": {k: v for k, v in hub_stats.items() if v},
        "wall_seconds": round(time.perf_counter() - t0, 2),
        "roles": roles.summary,
        "files": [
            "hall.toml",
            "events.jsonl",
            *[str(f.relative_to(out)) for f in files],
            *sorted(str(f.relative_to(out)) for f in role_files),
        ],
    }
    (out / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return summary
