#!/usr/bin/env bash
# Install or upgrade the hall appliance on a Debian 12 box (run as root), or into a
# directory tree (--root DIR) for images and tests.
#
#   deploy/install.sh [--wheels DIR] [--trust FILE] [--lan|--no-lan] [--roles hub,kiosk,...]
#   deploy/install.sh --rollback
#
# What it does, in order (each step says what it did):
#   1. Debian packages (mosquitto, espeak-ng, alsa-utils, cage, fonts, python3-venv)
#   2. a service user per role (hall-hub hall-kiosk hall-display hall-pads hall-sync), the
#      group hall (all of them: the config) and hall-db (hub and sync: the database), each
#      with the device groups its role needs (docs/SECURITY.md)
#   3. /etc/hall (config, secrets; trust anchors root's), /var/lib/hall (the hub's)
#   4. the software in its own venv: /opt/hall/<version>; `current` -> it, `previous` kept;
#      the version keeps its own copy of the system files below (share/hall/system)
#   5. the systemd units, the Mosquitto drop-in and settings, the udev rules (those there
#      before are kept aside); the hall's Mosquitto: no anonymous client, plain TCP on
#      loopback only, the LAN listener (TLS) when asked for and kept on every upgrade
#   6. on upgrade: the roles stopped, the database backed up and migrated by the new
#      software; a failed migration restores the backup, switches back to `previous` and puts
#      the old units, udev rules and Mosquitto settings back
#   7. each file its owner (`hall permissions`); on the hub box the hall bus's trust brought
#      up to date (`hall device setup`: passwords, ACL, certificate, listener kept)
#   8. the roles of this box (from /etc/hall/provisioned.json, or --roles) enabled, started
#
# Options:
#   --root DIR       install into DIR (a DESTDIR): no apt, no users, no systemctl, no udevadm
#   --version V      the version's folder name (default: hall/__init__.py's __version__)
#   --wheels DIR     install offline from a wheelhouse (hall-appliance and every dependency)
#   --dev-venv VENV  reuse VENV's packages and the source tree (developer boxes, tests)
#   --python PY      the Python for the venv (default python3)
#   --trust FILE     the city's provisioning public key -> /etc/hall/trust/provisioning.pub
#   --lan            the hall's Mosquitto also listens on the LAN, TLS only (a hall with several
#                    boxes); kept by every later install until --no-lan
#   --no-lan         remove the LAN listener (loopback only)
#   --roles LIST     roles to enable (default: the config's [hall] roles, else
#                    provisioned.json's; none before provisioning)
#   --no-apt         skip the Debian packages
#   --no-systemctl   do not run systemctl / udevadm (containers, images)
#   --keep N         versions kept under /opt/hall (default 3)
#   --rollback       switch `current` back to `previous` (its units, udev rules and Mosquitto
#                    settings too) and restart the roles
set -euo pipefail

SELF_DIR=$(cd "$(dirname "$0")" && pwd)
SOURCE=$(cd "$SELF_DIR/.." && pwd)
ROOT=""
VERSION=""
WHEELS=""
DEV_VENV=""
PYTHON=python3
TRUST=""
LAN=""
ROLES=""
NO_APT=0
NO_SYSTEMCTL=0
KEEP=3
ROLLBACK=0

APT_PACKAGES=(python3-venv mosquitto espeak-ng alsa-utils fonts-noto-cjk sqlite3 libusb-1.0-0
  # the screens: the cage kiosk compositor, and what Qt needs to draw on Wayland under it
  # (deploy/screen-check.sh starts both as their units do)
  cage libwayland-client0 libwayland-cursor0 libwayland-egl1 libxkbcommon0
  libegl1 libgl1 libfontconfig1 libdbus-1-3 libglib2.0-0)
GROUPS_WANTED=(dialout lp input audio video render)
# each role's user and the device groups it needs (the units' SupplementaryGroups=)
declare -A ROLE_GROUPS=(
  [hub]=""
  [kiosk]="lp dialout input video render audio"
  [display]="input video render audio"
  [pads]="dialout input"
  [sync]="hall-db"
)

say() { printf 'install: %s\n' "$*"; }
die() { printf 'install: error: %s\n' "$*" >&2; exit 1; }

while (($#)); do
  case "$1" in
    --root) ROOT=$(realpath -m "$2"); shift 2 ;;
    --version) VERSION=$2; shift 2 ;;
    --wheels) WHEELS=$(realpath "$2"); shift 2 ;;
    --dev-venv) DEV_VENV=$(realpath "$2"); shift 2 ;;
    --python) PYTHON=$2; shift 2 ;;
    --trust) TRUST=$(realpath "$2"); shift 2 ;;
    --lan) LAN=1; shift ;;
    --no-lan) LAN=0; shift ;;
    --roles) ROLES=$2; shift 2 ;;
    --no-apt) NO_APT=1; shift ;;
    --no-systemctl) NO_SYSTEMCTL=1; shift ;;
    --keep) KEEP=$2; shift 2 ;;
    --rollback) ROLLBACK=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed 's/^# \{0,1\}//; /^set -euo/d'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

[[ -n $VERSION ]] || VERSION=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$SOURCE/hall/__init__.py")
[[ $VERSION =~ ^[0-9A-Za-z._+-]+$ ]] || die "bad version '$VERSION'"

OPT=$ROOT/opt/hall
ETC=$ROOT/etc/hall
STATE=$ROOT/var/lib/hall
UNITS=$ROOT/etc/systemd/system
UDEV=$ROOT/etc/udev/rules.d
MQCONF=$ROOT/etc/mosquitto/conf.d
CONFIG=$ETC/hall.toml

if [[ -z $ROOT ]]; then
  [[ $(id -u) -eq 0 ]] || die "run as root (or give --root DIR to install into a folder)"
  NO_APT=${NO_APT}
else
  NO_APT=1
  NO_SYSTEMCTL=1
fi
[[ -d /run/systemd/system ]] || NO_SYSTEMCTL=1
SYSTEMCTL=(systemctl)
((NO_SYSTEMCTL)) && SYSTEMCTL=(true)

owner() {  # chown on a real box; nothing in a --root tree
  [[ -z $ROOT ]] && chown "$@" || true
}
have_group() { [[ -z $ROOT ]] && getent group "$1" >/dev/null; }

# the system files of a version: units, the Mosquitto drop-in and settings, udev rules
SYSTEM_FILES=(etc/systemd/system/hall.target etc/systemd/system/mosquitto.service.d/hall.conf
  etc/udev/rules.d/90-hall.rules etc/mosquitto/conf.d/hall.conf)
system_snapshot() {  # system_snapshot DIR: the hall's system files as installed now
  local dir=$1 f
  rm -rf "$dir"
  mkdir -p "$dir"
  local units=("$UNITS"/hall-*.service)
  for f in "${SYSTEM_FILES[@]}" "${units[@]#"$ROOT"/}"; do
    [[ -e $ROOT/$f ]] || continue
    mkdir -p "$dir/$(dirname "$f")"
    cp -a "$ROOT/$f" "$dir/$f"
  done
}
system_restore() {  # system_restore DIR: put a snapshot's files back (the LAN listener stays)
  local dir=$1 f
  [[ -d $dir ]] || return 0
  rm -f "$UNITS"/hall-*.service "$UNITS/hall.target"
  (cd "$dir" && find . -type f -printf '%P\n') | while read -r f; do
    mkdir -p "$ROOT/$(dirname "$f")"
    cp -a "$dir/$f" "$ROOT/$f"
  done
  "${SYSTEMCTL[@]}" daemon-reload
  if ((!NO_SYSTEMCTL)); then udevadm control --reload || true; fi
}
install_system() {  # install_system SRC: a version's system files (share/hall/system) into place
  local src=$1
  install -d "$UNITS" "$UNITS/mosquitto.service.d" "$UDEV" "$MQCONF"
  install -m 0644 "$src"/systemd/hall-*.service "$src/systemd/hall.target" "$UNITS/"
  install -m 0644 "$src/systemd/mosquitto.service.d/hall.conf" "$UNITS/mosquitto.service.d/"
  install -m 0644 "$src/udev/90-hall.rules" "$UDEV/"
  install -m 0644 "$src/mosquitto/hall.conf" "$MQCONF/hall.conf"
}

role_units() {
  local roles=$ROLES
  if [[ -z $roles && -x $OPT/current/bin/python ]]; then
    # the config's [hall] roles, else provisioned.json (installs from before that key)
    roles=$("$OPT/current/bin/python" - "$CONFIG" "$ETC/provisioned.json" 2>/dev/null <<'PY' || true
import json, sys, tomllib
try:
    with open(sys.argv[1], "rb") as f:
        roles = tomllib.load(f)["hall"]["roles"]
except Exception:
    try:
        with open(sys.argv[2], encoding="utf-8") as f:
            roles = json.load(f)["roles"]
    except Exception:
        roles = []
print(",".join(roles))
PY
)
  fi
  local r
  for r in ${roles//,/ }; do
    case $r in hub|kiosk|display|pads|sync) printf 'hall-%s.service ' "$r" ;;
      *) die "unknown role '$r' (hub kiosk display pads sync)" ;; esac
  done
}

is_hub() {  # this box runs the hub (its config says so)
  [[ $(role_units) == *hall-hub.service* ]]
}

stop_roles() {
  "${SYSTEMCTL[@]}" stop hall-hub.service hall-kiosk.service hall-display.service \
    hall-pads.service hall-sync.service 2>/dev/null || true
}

start_roles() {
  local units
  units=$(role_units)
  [[ -n $units ]] || { say "no roles to start yet: provision the box (hall provision)"; return 0; }
  if ((NO_SYSTEMCTL)); then
    say "systemd not used here; on the box: systemctl enable --now hall.target $units"
    return 0
  fi
  # shellcheck disable=SC2086
  "${SYSTEMCTL[@]}" enable hall.target $units
  if [[ $units == *hall-hub.service* ]]; then "${SYSTEMCTL[@]}" enable --now mosquitto.service; fi
  # shellcheck disable=SC2086
  "${SYSTEMCTL[@]}" restart $units
  say "started: $units"
}

switch_to() {  # atomically point `current` at $1
  ln -sfn "$1" "$OPT/current.new"
  mv -T "$OPT/current.new" "$OPT/current"
}

if ((ROLLBACK)); then
  prev=$(readlink "$OPT/previous" 2>/dev/null) || die "no previous version under $OPT to go back to"
  cur=$(readlink "$OPT/current" 2>/dev/null || true)
  stop_roles
  switch_to "$prev"
  [[ -n $cur ]] && ln -sfn "$cur" "$OPT/previous"
  if [[ -d $OPT/$prev/share/hall/system ]]; then
    install_system "$OPT/$prev/share/hall/system"
    "${SYSTEMCTL[@]}" daemon-reload
    say "its units, udev rules and Mosquitto settings are back too"
  fi
  say "rolled back: current -> $prev (previous -> ${cur:-none})"
  say "the database is left as it is; \`hall doctor\` says if this version cannot read it"
  start_roles
  exit 0
fi

# 1. Debian packages ------------------------------------------------------------------
if ((!NO_APT)); then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
fi

# 2. the service users -----------------------------------------------------------------
if [[ -z $ROOT ]]; then
  for g in hall hall-db "${GROUPS_WANTED[@]}"; do
    # input and render come with udev/systemd; the udev rules need them before the devices
    getent group "$g" >/dev/null || { groupadd --system "$g" && say "created the group $g"; }
  done
  for role in hub kiosk display pads sync; do
    u=hall-$role
    if ! getent passwd "$u" >/dev/null; then
      useradd --system --user-group --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin --comment "Hall appliance, $role" "$u"
      say "created the service user $u"
    fi
    # shellcheck disable=SC2086
    usermod -G "$(printf '%s,' hall ${ROLE_GROUPS[$role]} | sed 's/,$//')" "$u"
  done
fi

# 3. folders -----------------------------------------------------------------------------
# /etc/hall: root's; sync may replace its hall.toml (sticky: nothing else), every role reads
# through it. trust/ (the city's provisioning key, the hall's CA): root's, nobody else may
# write or rename it. /var/lib/hall: the hub's. `hall permissions` (step 7) does the files.
install -d -m 0755 "$OPT" "$ETC/trust"
install -d -m 0750 "$STATE"
install -d -m 0700 "$STATE/backups"
install -d -m 0750 "$ETC/secrets" "$ETC/bus"
if [[ -z $ROOT ]]; then
  chown root:hall-sync "$ETC" && chmod 1771 "$ETC"
  chown root:root "$ETC/trust" && chmod 0755 "$ETC/trust"
  chown root:hall "$ETC/secrets"
  chown hall-hub:hall "$STATE"
  chown root:root "$STATE/backups"
  if have_group mosquitto; then chown root:mosquitto "$ETC/bus"; fi
else
  chmod 0750 "$ETC"
fi
# the broker's password and ACL files exist from the start: before provisioning nobody may in
for f in passwd acl; do
  if [[ ! -e $ETC/bus/$f ]]; then
    install -m 0640 /dev/null "$ETC/bus/$f"
    if have_group mosquitto; then chown root:mosquitto "$ETC/bus/$f"; fi
  fi
done
if [[ -n $TRUST ]]; then
  install -m 0644 "$TRUST" "$ETC/trust/provisioning.pub"
  owner root:root "$ETC/trust/provisioning.pub"
  say "trusting the city's provisioning key from $TRUST"
fi

# 4. the software in its own venv ----------------------------------------------------------
DEST=$OPT/$VERSION
NEW=$OPT/.$VERSION.new
rm -rf "$NEW"
if [[ -n $DEV_VENV ]]; then
  base=$("$DEV_VENV/bin/python" -c 'import sys; print(sys._base_executable)')
  "$base" -m venv --without-pip "$NEW"
  site=$("$DEV_VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  newsite=$("$NEW/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  printf 'import site; site.addsitedir(%s)\n' "'$site'" > "$newsite/hall-dev.pth"
  cat > "$NEW/bin/hall" <<EOF
#!$DEST/bin/python
import sys
from appliance.cli.main import main
sys.exit(main())
EOF
  chmod 0755 "$NEW/bin/hall"
  # the venv's own paths name its final folder
  sed -i "s#$NEW#$DEST#g" "$NEW/bin/hall" "$NEW/pyvenv.cfg" 2>/dev/null || true
elif [[ -n $WHEELS ]]; then
  "$PYTHON" -m venv "$NEW"
  "$NEW/bin/pip" install -q --no-index --find-links "$WHEELS" "hall-appliance==$VERSION"
else
  "$PYTHON" -m venv "$NEW"
  "$NEW/bin/pip" install -q "$SOURCE"
fi
install -d "$NEW/share/doc/hall"
for doc in TECHNICIAN.md SECURITY.md; do
  [[ -f $SOURCE/docs/$doc ]] && install -m 0644 "$SOURCE/docs/$doc" "$NEW/share/doc/hall/"
done
# this version's system files, for its install and for a rollback to it later
SYS=$NEW/share/hall/system
install -d "$SYS/systemd/mosquitto.service.d" "$SYS/udev" "$SYS/mosquitto"
install -m 0644 "$SOURCE"/systemd/hall-*.service "$SOURCE/systemd/hall.target" "$SYS/systemd/"
install -m 0644 "$SOURCE/systemd/mosquitto.service.d/hall.conf" "$SYS/systemd/mosquitto.service.d/"
install -m 0644 "$SOURCE/deploy/udev/90-hall.rules" "$SYS/udev/"
install -m 0644 "$SOURCE/deploy/mosquitto/hall.conf" "$SYS/mosquitto/"
echo "$VERSION" > "$NEW/VERSION"
if [[ -e $DEST ]]; then
  [[ $(readlink "$OPT/current" 2>/dev/null) == "$VERSION" ]] && stop_roles
  rm -rf "$DEST"
fi
mv -T "$NEW" "$DEST"
# venv scripts name their interpreter by absolute path: fix them for the final folder
grep -rlI --null "$NEW" "$DEST/bin" 2>/dev/null | xargs -0r sed -i "s#$NEW#$DEST#g"
# a start-up check (the migration below is one when there is a config already)
if [[ ! -f $CONFIG ]]; then
  "$DEST/bin/hall" --version >/dev/null || die "the new software does not start: $DEST/bin/hall"
fi
say "software $VERSION in $DEST"

# 5. units, rules, Mosquitto --------------------------------------------------------------
# What was installed before is kept aside: a failed migration puts it back (step 6).
BEFORE=$STATE/backups/system-before
system_snapshot "$BEFORE"
install_system "$DEST/share/hall/system"
if [[ $LAN == 1 ]]; then
  if [[ -f $CONFIG ]]; then
    LAN_STEP=1  # step 7: `hall device setup --lan` (the certificate, then the listener)
  else
    touch "$ETC/bus/lan-wanted"  # the first `hall device setup` (provisioning) adds it
    say "the hall's Mosquitto will listen on the LAN (TLS, port 8883) once this box is provisioned"
  fi
elif [[ $LAN == 0 ]]; then
  rm -f "$MQCONF/hall-lan.conf" "$ETC/bus/lan-wanted"
  say "the hall's Mosquitto listens on loopback only"
fi
[[ -e $MQCONF/hall-lan.conf ]] && say "the LAN listener (TLS) stays: $MQCONF/hall-lan.conf"
"${SYSTEMCTL[@]}" daemon-reload
if ((!NO_SYSTEMCTL)); then
  udevadm control --reload && udevadm trigger --action=change || true
fi
say "units in $UNITS, udev rules in $UDEV, Mosquitto settings in $MQCONF"

# 6. switch, migrate, or roll back -----------------------------------------------------------
prev=$(readlink "$OPT/current" 2>/dev/null || true)
old_previous=$(readlink "$OPT/previous" 2>/dev/null || true)
stop_roles
switch_to "$VERSION"
if [[ -n $prev && $prev != "$VERSION" ]]; then
  ln -sfn "$prev" "$OPT/previous"
fi
if [[ -f $CONFIG ]]; then
  if ! "$OPT/current/bin/hall" migrate --config "$CONFIG" --backup-dir "$STATE/backups"; then
    if [[ -n $prev && $prev != "$VERSION" ]]; then
      switch_to "$prev"
      if [[ -n $old_previous ]]; then ln -sfn "$old_previous" "$OPT/previous"; else rm -f "$OPT/previous"; fi
      rm -rf "${DEST:?}"
      system_restore "$BEFORE"
      say "migration failed: switched back to $prev (the database was restored; its units, udev rules and Mosquitto settings are back)"
      # the restored database and the backup: the hub's and root's again
      [[ -z $ROOT ]] && "$OPT/current/bin/hall" permissions --config "$CONFIG" >/dev/null 2>&1 || true
      start_roles
    fi
    die "the upgrade to $VERSION was not done; see the message above"
  fi
fi
say "current -> $VERSION${prev:+ (previous: $prev)}"

# 7. owners, the hall bus's trust ----------------------------------------------------------------
if [[ -f $CONFIG ]]; then
  if [[ -z $ROOT ]]; then
    "$OPT/current/bin/hall" permissions --config "$CONFIG" | tail -n 1
  fi
  if is_hub; then
    lan_flag=()
    [[ -n ${LAN_STEP:-} ]] && lan_flag=(--lan)
    [[ -n $ROOT ]] && lan_flag+=(--no-reload)  # an image: no Mosquitto of ours runs
    "$OPT/current/bin/hall" device setup --config "$CONFIG" --mosquitto-dir "$MQCONF" "${lan_flag[@]}" \
      | sed 's/^/install: hall bus: /' || die "hall device setup failed (see above)"
  fi
fi

# 8. roles --------------------------------------------------------------------------------
start_roles

# keep the newest versions (and always current and previous)
keep_current=$(readlink "$OPT/current" || true)
keep_previous=$(readlink "$OPT/previous" 2>/dev/null || true)
mapfile -t versions < <(cd "$OPT" && ls -1dt -- */ 2>/dev/null | sed 's#/$##' | grep -vx -e current -e previous || true)
n=0
for v in "${versions[@]}"; do
  [[ $v == "$keep_current" || $v == "$keep_previous" ]] && continue
  n=$((n + 1))
  ((n + 2 > KEEP)) && rm -rf "${OPT:?}/$v" && say "removed old version $v"
done
say "done. Next: hall provision BUNDLE (a new box), then hall doctor"
