#!/usr/bin/env bash
# A real install of the hall appliance into a Debian 12 (bookworm) chroot made with
# debootstrap. First the release's wheelhouse for offline halls, built from nothing in a
# separate build root (the only place with a compiler: evdev has no wheel on PyPI). Then, in
# the box's root (no compiler): deploy/install.sh --lan as on a box (apt packages, a user per
# role and their groups, the venv under /opt/hall/<version> from that wheelhouse, units, udev
# rules, Mosquitto settings), `hall provision` of a signed bundle (on a hub box: the hall bus's
# CA, a password per role, the broker's files, the TLS LAN listener), the hub and Mosquitto
# started by hand (no systemd in a chroot) and `hall doctor --json` (the bus refuses anonymous
# clients, no plain TCP off loopback); who may read and write what (the kiosk's user cannot
# read the database; the trust anchors are root's); then an upgrade to a second version whose
# database migration runs (the LAN listener kept), a rollback and back, and a third version
# whose migration fails and is rolled back (the database restored, `current` switched back,
# the old units back). Last, the screens: the box provisioned for the hub, a kiosk and a
# display, and deploy/screen-check.sh starts the kiosk and the display as their units do
# (cage, the units' environment, their users) on a headless output, with screenshots (kept in
# $WORK/screen-check/).
#
# Not run by CI (minutes, network): run it as root on a Debian/Ubuntu machine with
# debootstrap and network access to a Debian mirror and PyPI.
#
#   deploy/chroot-check.sh [--cache DIR] [--work DIR] [--mirror URL] [--keep] [--fresh-base]
#
#   --cache DIR    the debootstrap base, the .deb cache and the wheelhouse, reused between
#                  runs (default /var/cache/hall-chroot); an empty folder works: everything
#                  is fetched and built
#   --work DIR     where the chroot of this run is made (default $CACHE/run; wiped first)
#   --mirror URL   Debian mirror (default http://deb.debian.org/debian)
#   --keep         leave the chroot (and its mounts undone) for a look afterwards
#   --fresh-base   debootstrap again even if the cached base exists
#
# Exit status 0 when every step did what it should; each step prints `check: ...`.
set -euo pipefail

SELF_DIR=$(cd "$(dirname "$0")" && pwd)
SOURCE=$(cd "$SELF_DIR/.." && pwd)
CACHE=/var/cache/hall-chroot
WORK=""
MIRROR=http://deb.debian.org/debian
KEEP=0
FRESH=0

while (($#)); do
  case "$1" in
    --cache) CACHE=$(realpath -m "$2"); shift 2 ;;
    --work) WORK=$(realpath -m "$2"); shift 2 ;;
    --mirror) MIRROR=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --fresh-base) FRESH=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed 's/^# \{0,1\}//; /^set -euo/d'; exit 0 ;;
    *) echo "chroot-check: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
WORK=${WORK:-$CACHE/run}
BASE=$CACHE/bookworm-base
R=$WORK/root
WHEELS=$CACHE/wheels
DEBS=$CACHE/debs
T0=$SECONDS

say() { printf '\n== chroot-check [%3ds]: %s\n' "$((SECONDS - T0))" "$*"; }
ok() { printf 'check: ok   %s\n' "$*"; }
bad() { printf 'check: FAIL %s\n' "$*"; FAILED=$((FAILED + 1)); }
FAILED=0
[[ $(id -u) -eq 0 ]] || { echo "chroot-check: run as root" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "chroot-check: apt-get install debootstrap" >&2; exit 2; }

B=$WORK/build-root
work_mounts() {  # every mount under $WORK, the deepest first
  awk -v w="$WORK" 'index($2, w "/") == 1 { print $2 }' /proc/mounts | sort -r
}
cleanup() {
  local p m
  for p in /proc/[0-9]*; do  # a daemon left in one of our roots: ours, end it
    case $(readlink "$p/root" 2>/dev/null) in "$R" | "$B") kill -KILL "${p#/proc/}" 2>/dev/null ;; esac
  done
  for m in $(work_mounts); do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
  [[ -z $(work_mounts) ]] || { echo "chroot-check: still mounted: $(work_mounts)" >&2; return; }
  rm -rf --one-file-system "$B"
  if ((!KEEP)) && [[ -d $R ]]; then rm -rf --one-file-system "$R"; fi
}
trap cleanup EXIT
bind() { mkdir -p "$2"; mount --bind "$1" "$2"; }

# in_chroot DIR CMD...: run in a chroot with a clean environment (as a technician's root shell)
in_chroot() {
  local dir=$1
  shift
  chroot "$dir" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 TERM=dumb PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    DEBIAN_FRONTEND=noninteractive "$@"
}
in_root() { in_chroot "$R" "$@"; }   # the box
in_build() { in_chroot "$B" "$@"; }  # the release's build machine

# new_root DIR: a copy of the base with the host's DNS and CAs, /proc, /sys, /dev, the caches
new_root() {
  local dir=$1
  rm -rf --one-file-system "$dir"
  cp -a "$BASE" "$dir"
  bind "$dir" "$dir"  # its / a mount point, as on a box (unshare --mount, PrivateTmp= need it)
  cp /etc/resolv.conf "$dir/etc/resolv.conf"
  # the host's own CAs (a proxy in front of the mirrors and PyPI): the chroot trusts them too
  if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$dir/usr/local/share/ca-certificates/"
    in_chroot "$dir" update-ca-certificates >/dev/null 2>&1 || true
  fi
  printf '#!/bin/sh\nexit 101\n' > "$dir/usr/sbin/policy-rc.d"  # apt starts no daemons here
  chmod 0755 "$dir/usr/sbin/policy-rc.d"
  mount -t proc proc "$dir/proc"
  mount -t sysfs sys "$dir/sys"
  bind /dev "$dir/dev"
  mount -t devpts -o newinstance,ptmxmode=0666 devpts "$dir/dev/pts" 2>/dev/null || true
  mount -t tmpfs -o mode=1777,nosuid,nodev shm "$dir/dev/shm"
  bind "$DEBS" "$dir/var/cache/apt/archives"
  bind "$WHEELS" "$dir/var/cache/hall-wheels"
}

# 1. the base system (cached) -----------------------------------------------------------------
if ((FRESH)) || [[ ! -f $BASE/.complete ]]; then
  say "debootstrap bookworm (minbase) into $BASE"
  rm -rf --one-file-system "$BASE"
  mkdir -p "$CACHE"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    bookworm "$BASE" "$MIRROR"
  touch "$BASE/.complete"
fi

# 2. this run's roots: the box, and a build machine beside it -----------------------------------
say "a fresh root for the box in $R, and a build root in $B"
mkdir -p "$WORK" "$WHEELS" "$DEBS/partial"
if [[ -n $(work_mounts) ]]; then cleanup; fi  # a run that was killed before its clean-up
new_root "$R"
new_root "$B"

# 3. three versions of the software: as it is, +1 migration, +1 good and 1 failing migration --
V1=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$SOURCE/hall/__init__.py")
V2=$V1.post1
V3=$V1.post2
say "sources of $V1, $V2 (a migration) and $V3 (a migration that fails)"
stage() {  # stage VERSION [migration SQL...]
  local v=$1 dest=$R/root/src/$1 sql
  shift
  mkdir -p "$dest"
  tar -C "$SOURCE" --exclude=.git --exclude=.venv --exclude=build --exclude='*.egg-info' \
    --exclude=__pycache__ --exclude=.mypy_cache --exclude=.ruff_cache --exclude=.pytest_cache \
    --exclude=.hypothesis --exclude=out --exclude=dist -cf - . | tar -C "$dest" -xf -
  sed -i "s/^__version__ = \".*\"/__version__ = \"$v\"/" "$dest/hall/__init__.py"
  for sql in "$@"; do
    sed -i "/^SCHEMA_VERSION = len(MIGRATIONS)/i MIGRATIONS.append(\"$sql\")" "$dest/hall/store/schema.py"
  done
}
stage "$V1"
stage "$V2" "CREATE TABLE chroot_check_v2 (note TEXT)"
stage "$V3" "CREATE TABLE chroot_check_v2 (note TEXT)" "CREATE TABLE chroot_check_v3 (note TEXT)" \
  "INSERT INTO no_such_table VALUES (1)"
echo "# chroot-check $V3" >> "$R/root/src/$V3/systemd/hall-hub.service"  # to see it go back

# 4. the wheelhouse, built in the build root (what a release ships for offline halls) ----------
# The build machine has a compiler (evdev publishes no wheel); the box never needs one.
say "wheelhouse in $WHEELS, built in $B (gcc and python3-dev there only)"
in_build apt-get update -q >/dev/null
in_build apt-get install -y -q --no-install-recommends gcc python3-dev >"$WORK/build-apt.log" 2>&1 \
  || { cat "$WORK/build-apt.log"; bad "gcc and python3-dev in the build root"; }
bind "$R/root/src" "$B/root/src"
in_build python3 -m venv /root/build-venv
in_build /root/build-venv/bin/pip install -q --no-index --find-links /var/cache/hall-wheels \
  "setuptools>=77" 2>/dev/null \
  || in_build /root/build-venv/bin/pip install -q "setuptools>=77"
rm -f "$WHEELS"/hall_appliance-*.whl
for v in "$V1" "$V2" "$V3"; do
  in_build /root/build-venv/bin/pip wheel -q --no-deps --no-build-isolation \
    -w /var/cache/hall-wheels "/root/src/$v"
done
wheels_ok=0
in_build /root/build-venv/bin/pip wheel -q --no-index --find-links /var/cache/hall-wheels \
  -w /var/cache/hall-wheels "hall-appliance==$V1" 2>/dev/null && wheels_ok=1 \
  || { in_build /root/build-venv/bin/pip wheel -q --find-links /var/cache/hall-wheels \
    -w /var/cache/hall-wheels "hall-appliance==$V1" && wheels_ok=1; } || true
((wheels_ok)) && ok "wheelhouse: $(find "$WHEELS" -name '*.whl' | wc -l) wheels, $(find "$WHEELS" \
  -name 'evdev-*.whl' -printf '%f' | head -c 80)" || bad "the wheelhouse did not build"
for m in $(work_mounts | grep -E "^$B(/|$)"); do umount "$m" || umount -l "$m"; done
rm -rf --one-file-system "$B"
if in_root sh -c 'command -v gcc || command -v cc || command -v x86_64-linux-gnu-gcc'; then
  bad "the box's root has a compiler: the install below would not prove it needs none"
else
  ok "the box's root has no compiler"
fi

# 5. a provisioning key and a signed bundle for a hub box (the city's side) ------------------------
make_bundle() {  # make_bundle [ROLES_JSON BUNDLE_ID FILE]: the installed software signs, as the city's tool does
  in_root env ROLES="${1:-[\"hub\"]}" BUNDLE_ID="${2:-CHROOT-0001}" OUT="${3:-/root/410411-ZH07-hub.hp1}" \
    /opt/hall/current/bin/python - <<'PY'
import json, os, pathlib, base64
from datetime import UTC, datetime, timedelta
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives import serialization
from appliance.ops import bundle
def raw_public(k):
    return k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
keyfile = pathlib.Path("/root/city-provisioning.key")
if keyfile.exists():  # the same city key as the first bundle's (the box trusts it)
    key = ed25519.Ed25519PrivateKey.from_private_bytes(keyfile.read_bytes())
else:
    key = ed25519.Ed25519PrivateKey.generate()
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw, serialization.NoEncryption()))
pathlib.Path("/root/city-provisioning.pub").write_text(base64.b64encode(raw_public(key)).decode() + "\n")
roles = json.loads(os.environ["ROLES"])
src = pathlib.Path("/root/src")
catalog = json.loads(next(src.glob("*/config/examples/catalog.json")).read_text("utf-8"))
now = datetime.now(UTC)
payload = {
    "v": 1, "kind": "hall-provisioning", "bundle_id": os.environ["BUNDLE_ID"],
    "issued_at": now.isoformat(), "expires_at": (now + timedelta(days=7)).isoformat(),
    "hall_id": "410411-ZH07", "hall_name": "曹镇乡便民服务中心", "roles": roles,
    "catalog": catalog,
    "counters": [{"id": "1", "name": "综合窗口", "services": [s["code"] for s in catalog["services"]]}],
}
if "kiosk" in roles:  # the city's appointment-token key and the identity-hash key
    payload["token_public_key"] = base64.b64encode(raw_public(ed25519.Ed25519PrivateKey.generate())).decode()
    payload["id_hash_key"] = base64.b64encode(os.urandom(32)).decode()
pathlib.Path(os.environ["OUT"]).write_text(bundle.sign(payload, key) + "\n")
PY
}

# the doctor on a running hall: Mosquitto and the hub started by hand (no systemd in a chroot),
# in a network namespace of their own (the chroot's port 1883 is not the host's)
doctor() {  # doctor NAME: writes $WORK/doctor-NAME.json, prints the summary
  local name=$1
  cat > "$R/root/doctor.sh" <<'SH'
set -u
install -d -o mosquitto -g mosquitto /run/mosquitto
mosquitto -d -c /etc/mosquitto/mosquitto.conf
# as its unit runs it: its own user, the database's group, the config's group, its UMask
(umask 0027; exec runuser -u hall-hub -g hall-db -G hall -- /opt/hall/current/bin/hall -v hub \
  --config /etc/hall/hall.toml) > /root/hub.log 2>&1 &
hub=$!
for _ in $(seq 150); do  # until it serves, or it has stopped (a database it cannot read)
  grep -q "running, database" /root/hub.log 2>/dev/null && break
  kill -0 "$hub" 2>/dev/null || break
  sleep 0.2
done
/opt/hall/current/bin/hall doctor --json --config /etc/hall/hall.toml > /root/doctor.json
rc=$?
kill -TERM "$hub" 2>/dev/null; wait "$hub" 2>/dev/null
kill "$(cat /run/mosquitto/mosquitto.pid)" 2>/dev/null
exit $rc
SH
  local rc=0
  unshare --net -- bash -c "ip link set lo up && exec chroot '$R' /usr/bin/env -i \
    PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 bash /root/doctor.sh" || rc=$?
  cp "$R/root/doctor.json" "$WORK/doctor-$name.json"
  python3 - "$WORK/doctor-$name.json" "$rc" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
print(f"hall doctor --json: exit {sys.argv[2]}, can_open={rep['can_open']}, roles={rep['roles']}, "
      f"counts={rep['counts']}")
for r in rep["results"]:
    print(f"  {r['status']:5} {r['check']}: {r['summary']}")
PY
  return "$rc"
}

current() { readlink "$R/opt/hall/current"; }
previous() { readlink "$R/opt/hall/previous" 2>/dev/null || echo none; }
db_version() {
  in_root python3 -c 'import sqlite3; print(sqlite3.connect("file:/var/lib/hall/hall.db?mode=ro", uri=True).execute("PRAGMA user_version").fetchone()[0])'
}

# 6. the first install ------------------------------------------------------------------------
say "deploy/install.sh (version $V1) as root in the chroot"
in_root bash "/root/src/$V1/deploy/install.sh" --wheels /var/cache/hall-wheels --lan \
  2>&1 | tee "$WORK/install-1.log"
[[ $(current) == "$V1" ]] && ok "current -> $V1" || bad "current is $(current)"
for u in hall-hub hall-kiosk hall-display hall-pads hall-sync; do
  if in_root id "$u" >/dev/null 2>&1; then ok "user: $(in_root id "$u")"; else bad "no user $u"; fi
done
for f in etc/systemd/system/hall-hub.service etc/systemd/system/hall.target \
  etc/systemd/system/mosquitto.service.d/hall.conf etc/udev/rules.d/90-hall.rules \
  etc/mosquitto/conf.d/hall.conf "opt/hall/$V1/bin/hall"; do
  [[ -e $R/$f ]] && ok "$f" || bad "missing $f"
done
for p in mosquitto espeak-ng cage fonts-noto-cjk sqlite3 alsa-utils; do
  in_root dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    && ok "package $p" || bad "package $p not installed"
done
in_root stat -c '%U:%G %a %n' /etc/hall /etc/hall/secrets /etc/hall/trust /etc/hall/bus /var/lib/hall /opt/hall
[[ $(in_root stat -c '%U %a' /etc/hall/trust) == "root 755" && $(in_root stat -c '%U' /etc/hall) == root ]] \
  && ok "the trust anchors' folder and /etc/hall are root's" || bad "/etc/hall or its trust/ not root's"
if in_root env QT_QPA_PLATFORM=offscreen /opt/hall/current/bin/python -c \
  'from PySide6.QtWidgets import QApplication, QLabel; a = QApplication([]); l = QLabel("请 A001 号"); l.show(); a.processEvents(); print("Qt", __import__("PySide6").__version__)'; then
  ok "Qt widgets start (offscreen) with the installed libraries"
else
  bad "Qt does not start in the chroot (missing system libraries?)"
fi
# the screens run Qt on Wayland under cage: its platform plugin must find every library
qt=$(in_root /opt/hall/current/bin/python -c 'import PySide6, os; print(os.path.dirname(PySide6.__file__) + "/Qt")')
missing=$(in_root env LD_LIBRARY_PATH="$qt/lib" sh -c "ldd $qt/plugins/platforms/libqwayland.so \
  $qt/lib/libQt6WaylandClient.so.6 $qt/plugins/wayland-shell-integration/libxdg-shell.so" \
  | grep 'not found' | sort -u | tr -s ' \t\n' ' ' || true)
[[ -z $missing ]] && ok "Qt's Wayland plugin finds every library" || bad "Qt's Wayland plugin lacks:$missing"

say "hall provision of a signed bundle (roles: hub), as root: files owned by hall"
make_bundle
in_root bash "/root/src/$V1/deploy/install.sh" --wheels /var/cache/hall-wheels --no-apt \
  --trust /root/city-provisioning.pub > "$WORK/install-1b.log" 2>&1 \
  && ok "install.sh again (same version, --trust) is idempotent" || bad "install.sh --trust"
in_root /opt/hall/current/bin/hall provision /root/410411-ZH07-hub.hp1 2>&1 | tee "$WORK/provision.log"
in_root stat -c '%U:%G %a %n' /etc/hall/hall.toml /etc/hall/provisioned.json /etc/hall/catalog.json
roles=$(in_root python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["hall"]["roles"])' \
  /etc/hall/hall.toml 2>&1) || true
[[ $roles == "['hub']" ]] && ok "[hall] roles written: $roles" || bad "no [hall] roles = [\"hub\"] in hall.toml: $roles"
in_root /opt/hall/current/bin/hall config check /etc/hall/hall.toml && ok "config check" || bad "config check"

say "hall doctor on version $V1"
doctor 1 && ok "the hall can open on $V1" || bad "doctor on $V1"
[[ $(db_version) -ge 1 ]] && ok "database schema $(db_version), $(in_root stat -c '%U:%G %a' /var/lib/hall/hall.db)"
python3 - "$WORK/doctor-1.json" <<'PY' && ok "doctor: the hall bus refuses anonymous clients, no plain TCP off loopback, passwords, certificates" || bad "the doctor's bus checks (see doctor-1.json)"
import json, sys
by = {}
for r in json.load(open(sys.argv[1]))["results"]:
    by.setdefault(r["check"], []).append(r["status"])
want = ("bus-anonymous", "bus-transport", "bus-credentials", "bus-certificate")
sys.exit(0 if all(by.get(k) and set(by[k]) == {"ok"} for k in want) else 1)
PY
# who may read and write what
[[ $(in_root stat -c '%U:%G %a' /var/lib/hall/hall.db) == "hall-hub:hall-db 640" ]] \
  && ok "the database is the hub's (group hall-db)" || bad "hall.db: $(in_root stat -c '%U:%G %a' /var/lib/hall/hall.db)"
if in_root runuser -u hall-kiosk -- cat /var/lib/hall/hall.db >/dev/null 2>&1; then
  bad "the kiosk's user can read the database"
else
  ok "the kiosk's user cannot read the database"
fi
if in_root runuser -u hall-sync -- touch /etc/hall/trust/x 2>/dev/null \
  || in_root runuser -u hall-sync -- mv /etc/hall/trust /etc/hall/trust.x 2>/dev/null; then
  bad "a service user can write or rename the trust anchors"
else
  ok "no service user can write or rename /etc/hall/trust"
fi
[[ -e $R/etc/mosquitto/conf.d/hall-lan.conf ]] && ok "the LAN listener (TLS): $(grep -m1 ^listener "$R/etc/mosquitto/conf.d/hall-lan.conf")" \
  || bad "install.sh --lan and provisioning wrote no LAN listener"

# 7. upgrade: the roles stopped, backup, migration -----------------------------------------------
before=$(db_version)
say "upgrade to $V2 (its migration adds a table)"
in_root bash "/root/src/$V2/deploy/install.sh" --wheels /var/cache/hall-wheels --no-apt \
  2>&1 | tee "$WORK/install-2.log"
[[ $(current) == "$V2" && $(previous) == "$V1" ]] && ok "current -> $V2, previous -> $V1" \
  || bad "current $(current), previous $(previous)"
[[ $(db_version) -eq $((before + 1)) ]] && ok "database migrated $before -> $(db_version)" \
  || bad "database schema $(db_version) (was $before)"
ls "$R/var/lib/hall/backups/"*.db >/dev/null 2>&1 && ok "backup: $(ls "$R/var/lib/hall/backups")" \
  || bad "no backup taken"
[[ -e $R/etc/mosquitto/conf.d/hall-lan.conf ]] && ok "the upgrade kept the LAN listener (no --lan given)" \
  || bad "the upgrade removed the LAN listener"
doctor 2 && ok "the hall can open on $V2" || bad "doctor on $V2"

# 8. rollback, and forward again ---------------------------------------------------------------
say "install.sh --rollback (to $V1; the database stays at schema $(db_version))"
in_root bash "/root/src/$V1/deploy/install.sh" --rollback 2>&1 | tee "$WORK/rollback.log"
[[ $(current) == "$V1" && $(previous) == "$V2" ]] && ok "current -> $V1, previous -> $V2" \
  || bad "current $(current), previous $(previous)"
if doctor 3; then bad "doctor on $V1 with the newer database should fail"; else
  grep -q "newer than this software" "$WORK/doctor-3.json" \
    && ok "doctor: the old software cannot read the newer database (as documented)" \
    || bad "doctor 3 failed for another reason"
fi
in_root bash "/root/src/$V1/deploy/install.sh" --rollback > "$WORK/rollback-2.log" 2>&1
[[ $(current) == "$V2" ]] && ok "--rollback again: current -> $V2" || bad "current $(current)"

# 9. a failed migration -------------------------------------------------------------------------
say "upgrade to $V3 whose second migration fails"
dump() {  # the database's content and schema version, whatever its page layout
  in_root sh -c 'sqlite3 /var/lib/hall/hall.db .dump; sqlite3 /var/lib/hall/hall.db "PRAGMA user_version"' \
    | sha256sum | cut -d' ' -f1
}
owners() { in_root sh -c 'stat -c "%U:%G %a %n" /var/lib/hall/hall.db*'; }
sum_before=$(dump)
rc=0
in_root bash "/root/src/$V3/deploy/install.sh" --wheels /var/cache/hall-wheels --no-apt \
  > "$WORK/install-3.log" 2>&1 || rc=$?
cat "$WORK/install-3.log"
((rc != 0)) && ok "install.sh exits $rc" || bad "install.sh of $V3 succeeded"
[[ $(current) == "$V2" && $(previous) == "$V1" ]] && ok "switched back: current -> $V2, previous -> $V1" \
  || bad "current $(current), previous $(previous)"
[[ ! -e $R/opt/hall/$V3 ]] && ok "$V3 removed" || bad "$V3 left in /opt/hall"
grep -q "chroot-check $V3" "$R/etc/systemd/system/hall-hub.service" \
  && bad "$V3's unit stayed after its failed upgrade" || ok "the units of $(current) are back"
[[ $(dump) == "$sum_before" ]] \
  && ok "database restored: the same content, schema $(db_version)" || bad "database changed"
owners
if owners | grep -v '^hall-hub:hall-db ' >/dev/null; then bad "the database's files not the hub's"; else
  ok "the restored database belongs to the hub (group hall-db)"
fi
doctor 4 && ok "the hall can open on $V2 after the failed upgrade" || bad "doctor after the failed upgrade"

# 10. the screens: the kiosk and the display as their units start them -------------------------
say "the screens: provision the box for hub, kiosk and display; deploy/screen-check.sh"
make_bundle '["hub", "kiosk", "display"]' CHROOT-0002 /root/410411-ZH07-screens.hp1
in_root /opt/hall/current/bin/hall provision /root/410411-ZH07-screens.hp1 > "$WORK/provision-2.log" 2>&1 \
  && ok "provisioned for hub, kiosk, display" || { cat "$WORK/provision-2.log"; bad "provision for the screens"; }
# what a technician edits after provisioning (step 4 of the hour on site): no printer, no speakers here
in_root /opt/hall/current/bin/python - <<'PY'
import tomllib, tomli_w
path = "/etc/hall/hall.toml"
with open(path, "rb") as f:
    cfg = tomllib.load(f)
cfg.setdefault("kiosk", {})["printer"] = {"kind": "simulator"}
cfg.setdefault("display", {}).setdefault("speech", {})["player"] = "null"
with open(path, "wb") as f:
    tomli_w.dump(cfg, f)
PY
in_root /opt/hall/current/bin/hall config check /etc/hall/hall.toml >/dev/null \
  && ok "config with a simulated printer and silent speech" || bad "config check for the screens"
in_root apt-get install -y -q --no-install-recommends grim >"$WORK/apt-grim.log" 2>&1 \
  && ok "grim (the screenshots; a test tool, not part of the box)" || bad "apt-get install grim"
cat > "$R/root/screens.sh" <<SH
set -u
install -d -o mosquitto -g mosquitto /run/mosquitto
mosquitto -d -c /etc/mosquitto/mosquitto.conf
(umask 0027; exec runuser -u hall-hub -g hall-db -G hall -- /opt/hall/current/bin/hall -v hub \
  --config /etc/hall/hall.toml) > /root/hub-screens.log 2>&1 &
hub=\$!
for _ in \$(seq 150); do
  grep -q "running, database" /root/hub-screens.log 2>/dev/null && break
  kill -0 "\$hub" 2>/dev/null || break
  sleep 0.2
done
rm -rf /root/screen-check
bash /root/src/$(current)/deploy/screen-check.sh --out /root/screen-check
rc=\$?
kill -TERM "\$hub" 2>/dev/null; wait "\$hub" 2>/dev/null
kill "\$(cat /run/mosquitto/mosquitto.pid)" 2>/dev/null
exit \$rc
SH
rc=0
unshare --net -- bash -c "ip link set lo up && exec chroot '$R' /usr/bin/env -i \
  PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 bash /root/screens.sh" \
  2>&1 | tee "$WORK/screen-check.log" || rc=$?
rm -rf "$WORK/screen-check"
cp -r "$R/root/screen-check" "$WORK/screen-check" 2>/dev/null || true
grep -q '^screen-check: .* checks ok' "$WORK/screen-check.log" \
  && ! grep -q '^check: FAIL' "$WORK/screen-check.log" \
  && ok "the kiosk and the display under cage: $WORK/screen-check/kiosk.png, display.png" \
  || bad "screen-check (log: $WORK/screen-check.log)"

say "done in $((SECONDS - T0)) s: $FAILED failed check(s); logs and doctor reports in $WORK"
((KEEP)) && echo "the chroot is kept in $R"
exit $((FAILED > 0))
