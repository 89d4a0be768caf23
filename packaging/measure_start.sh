#!/usr/bin/env bash
# Cold start of the bundle: launch -> first paint of the main window (logged by the app), with a
# fresh data dir then with the one just made, offscreen and (when xvfb-run exists) under Xvfb;
# also when the embedded database answered (initdb on a fresh data dir).
#   bash packaging/measure_start.sh [EXECUTABLE]   (default dist/stock-tracker/stock-tracker)
set -euo pipefail
exe=${1:-dist/stock-tracker/stock-tracker}
exe=$(realpath "$exe")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() {  # $1 label, $2 home, rest: command prefix
  local label=$1 home=$2
  shift 2
  rm -f "$home/logs/stock-tracker.log"
  STOCK_TRACKER_HOME=$home "$@" "$exe" gui --feed demo --quit-after 3 >/dev/null 2>&1 || echo "$label: exit $?" >&2
  python3 - "$label" "$home/logs/stock-tracker.log" <<'PY'
import re, sys
from datetime import datetime
label, text = sys.argv[1], open(sys.argv[2]).read()
stamp = r"^(\S+ \S+) INFO "
painted = re.search(stamp + r".*first painted ([0-9.]+) s after launch \(([0-9.]+) s CPU\)", text, re.M)
ready = re.search(stamp + r".*embedded PostgreSQL ready", text, re.M)
if painted is None:
    print(f"{label:<28} no paint logged")
    sys.exit()
when = lambda m: datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S,%f")
line = f"{label:<28} painted {painted.group(2)} s after launch ({painted.group(3)} s CPU)"
if ready is not None:
    line += f", database ready {float(painted.group(2)) + (when(ready) - when(painted)).total_seconds():.2f} s"
print(line)
PY
}

run "offscreen, fresh data dir" "$work/off" env QT_QPA_PLATFORM=offscreen
run "offscreen, existing" "$work/off" env QT_QPA_PLATFORM=offscreen
run "offscreen, existing (2)" "$work/off" env QT_QPA_PLATFORM=offscreen
if command -v xvfb-run >/dev/null; then
  run "Xvfb, fresh data dir" "$work/x" xvfb-run -a env QT_QPA_PLATFORM=xcb
  run "Xvfb, existing" "$work/x" xvfb-run -a env QT_QPA_PLATFORM=xcb
  run "Xvfb, existing (2)" "$work/x" xvfb-run -a env QT_QPA_PLATFORM=xcb
fi
