#!/usr/bin/env bash
# The box's screens as their units start them, on a headless wlroots output, with screenshots.
#
# For the kiosk and the display: cage and the role started from the installed unit's
# ExecStart=, with the unit's Environment= lines (read from the unit file, not copied), as
# the unit's user and groups, on a headless output (WLR_BACKENDS=headless
# WLR_RENDERER=pixman WLR_LIBINPUT_NO_DEVICES=1); a screenshot with grim once the role shows
# its first screen (the kiosk's home screen, the display's board: the hub must be running);
# then checks that each window fills the output, is not blank, and has no title bar or
# close button. deploy/chroot-check.sh runs it; on a box, stop hall-kiosk and hall-display
# first (the print journal and the bus ids are theirs) and run it as root:
#
#   deploy/screen-check.sh [--out DIR] [--roles kiosk,display] [--config FILE] [--units DIR]
#
#   --out DIR      screenshots (kiosk.png, display.png), the roles' logs, summary.json
#                  (default out/screen-check)
#   --roles LIST   default kiosk,display
#   --config FILE  the hall's config, to find the display's id (default /etc/hall/hall.toml)
#   --units DIR    the installed units (default /etc/systemd/system)
#
# Needs grim (apt-get install grim; a test tool, not on a box by default) and the software
# under /opt/hall/current (its PySide6 reads the screenshots). Each check prints
# `check: ok` or `check: FAIL`; exit status 0 when none failed. deploy/screen_check.py says
# more (deploy/screen_judge.py: the verdict on a screenshot), deploy/screencopy-hold.py why a
# screen copy is kept pending while the roles run.
set -euo pipefail
SELF_DIR=$(cd "$(dirname "$0")" && pwd)
case "${1:-}" in
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed 's/^# \{0,1\}//; /^set -euo/d'; exit 0 ;;
esac
[[ $(id -u) -eq 0 ]] || { echo "screen-check: run as root (it starts the roles as their user)" >&2; exit 2; }
for tool in cage grim setpriv unshare python3; do
  command -v "$tool" >/dev/null || { echo "screen-check: no $tool (apt-get install ${tool/setpriv/util-linux})" >&2; exit 2; }
done
PY=/opt/hall/current/bin/python
[[ -x $PY ]] || { echo "screen-check: no software in /opt/hall/current (deploy/install.sh first)" >&2; exit 2; }
exec env QT_QPA_PLATFORM=offscreen "$PY" -I "$SELF_DIR/screen_check.py" "$@"
