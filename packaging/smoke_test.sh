#!/usr/bin/env bash
# Build the packaged app (bash packaging/build.sh) and smoke-test it as a user would: record the
# sample replay with the bundle's embedded PostgreSQL as root (twice: the cluster is reused) and as
# an unprivileged user with a fresh HOME; open the window offscreen for 5 s (no ERROR in its log);
# install the .deb, run `stock-tracker --help` from PATH, remove it. Run as root (CI does,
# from .ci/run); needs apt (for the .deb's Depends), useradd and runuser.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/sbin:/sbin"  # useradd, runuser
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== build =="
packaging_started=$(date +%s)
bash packaging/build.sh
bundle=$(pwd)/dist/stock-tracker
deb=$(ls dist/stock-tracker_*_amd64.deb)
du -sh --apparent-size "$bundle" "$deb"
replay_in_bundle=_internal/desktop_app/resources/sample_replay.jsonl

check_record() {  # $1: fresh|again, $2: the JSON summary line
  python3 - "$@" <<'PY'
import json, sys
kind, summary = sys.argv[1], json.loads(sys.argv[2])
assert summary["trades"] > 0 and summary["pending"] == 0 and summary["dropped"] == 0, summary
if kind == "fresh":  # a new database stores the whole replay (a second run may skip what it has)
    assert summary["written"]["trades"] == summary["trades"], summary
PY
}

echo "== smoke: record with the embedded database, as root (twice: the cluster is reused) =="
root_home="$work/root-home"
for run in fresh again; do
  out=$(HOME="$root_home" STOCK_TRACKER_HOME="$root_home/data" timeout 300 \
        "$bundle/stock-tracker" record --feed replay --replay "$bundle/$replay_in_bundle" --speed max)
  check_record "$run" "$out"
  echo "root, $run data dir: ok"
done

echo "== smoke: record as an unprivileged user with a fresh HOME =="
user=stock-tracker-ci
id "$user" >/dev/null 2>&1 || useradd --create-home --shell /bin/sh "$user"
chmod 0755 "$work"  # the user runs a copy of the bundle from here (the clone may sit under /root)
cp -a "$bundle" "$work/bundle"
user_home=$(runuser -u "$user" -- mktemp -d)
out=$(runuser -u "$user" -- env HOME="$user_home" STOCK_TRACKER_HOME="$user_home/data" timeout 300 \
      "$work/bundle/stock-tracker" record --feed replay --replay "$work/bundle/$replay_in_bundle" --speed max)
check_record fresh "$out"
rm -rf "$user_home"
echo "unprivileged user: ok"

echo "== smoke: the window, offscreen, for 5 s =="
gui_home="$work/gui-home"
QT_QPA_PLATFORM=offscreen HOME="$gui_home" STOCK_TRACKER_HOME="$gui_home/data" timeout 120 \
  "$bundle/stock-tracker" gui --feed demo --quit-after 5 >"$work/gui.out" 2>&1 || {
  cat "$work/gui.out"; exit 1; }
gui_log="$gui_home/data/logs/stock-tracker.log"
grep -h "first painted" "$gui_log"
if [ "${STOCK_TRACKER_PURE:-0}" != 1 ]; then  # the bundle carries the mypyc-compiled modules
  grep -h "parser and processing compiled (" "$gui_log" || {
    echo "the bundle runs the pure-Python parser (was the package compiled?)" >&2; exit 1; }
fi
if grep -E " (ERROR|CRITICAL) " "$gui_log"; then echo "the window logged errors" >&2; exit 1; fi
echo "window: ok"

echo "== smoke: the .deb =="
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "./$deb"
(  # a user's PATH, not this virtualenv's (which may hold a pip-installed stock-tracker)
  PATH=/usr/local/bin:/usr/bin:/bin
  found=$(command -v stock-tracker || true)
  if [ "$found" != /usr/bin/stock-tracker ] || [ "$(readlink -f "$found")" != /opt/stock-tracker/stock-tracker ]; then
    echo "stock-tracker on PATH is '$found', not the .deb's /usr/bin/stock-tracker" >&2; exit 1
  fi
  stock-tracker --help >/dev/null
)
if ldd /opt/stock-tracker/_internal/PySide6/Qt/plugins/platforms/libqxcb.so | grep "not found"; then
  echo "the .deb's Depends miss a library of the xcb platform plugin" >&2; exit 1
fi
dpkg -L stock-tracker >"$work/installed-files"
dpkg -r stock-tracker >/dev/null
if dpkg -s stock-tracker >/dev/null 2>&1; then echo "dpkg still lists stock-tracker after dpkg -r" >&2; exit 1; fi
while read -r path; do  # every file and link it installed is gone (shared folders like /usr stay)
  if [ -e "$path" ] && [ ! -d "$path" ] || [ -L "$path" ] || [ -e /opt/stock-tracker ]; then
    echo "dpkg -r left $path behind" >&2; exit 1
  fi
done <"$work/installed-files"
echo ".deb: ok"
echo "== packaging and its smoke tests took $(( $(date +%s) - packaging_started )) s =="
