#!/usr/bin/env bash
# Cold start of the bundle: launch -> first paint of the main window (logged by the app), with a
# fresh data dir then with the one just made, offscreen and (when xvfb-run exists) under Xvfb.
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
  local figure
  figure=$(grep -o "first painted .*" "$home/logs/stock-tracker.log" | sed 's/first painted //' || echo "?")
  printf '%-28s %s\n' "$label" "$figure"
}

run "offscreen, fresh data dir" "$work/off" env QT_QPA_PLATFORM=offscreen
run "offscreen, existing" "$work/off" env QT_QPA_PLATFORM=offscreen
run "offscreen, existing (2)" "$work/off" env QT_QPA_PLATFORM=offscreen
if command -v xvfb-run >/dev/null; then
  run "Xvfb, fresh data dir" "$work/x" xvfb-run -a env QT_QPA_PLATFORM=xcb
  run "Xvfb, existing" "$work/x" xvfb-run -a env QT_QPA_PLATFORM=xcb
  run "Xvfb, existing (2)" "$work/x" xvfb-run -a env QT_QPA_PLATFORM=xcb
fi
