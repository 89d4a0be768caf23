#!/usr/bin/env bash
# One command, from a clean checkout: the one-folder bundle dist/stock-tracker/ and, on Linux with
# dpkg-deb, dist/stock-tracker_<version>_amd64.deb. Neither is ever committed.
#
# Python: the active virtualenv if there is one, else its own in build/venv. The project is
# installed there from this checkout (compiling its parser and processing with mypyc, see
# setup.py) and PyInstaller bundles that installed package, with the checkout kept off its path.
# Environment: PYTHON (interpreter for build/venv, default python3), SKIP_DEB=1 (bundle only).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
started=$(date +%s)

if [ -z "${VIRTUAL_ENV:-}" ]; then
  if [ ! -x build/venv/bin/python ] && [ ! -x build/venv/Scripts/python.exe ]; then
    echo "== creating build/venv =="
    "${PYTHON:-python3}" -m venv build/venv
  fi
  # shellcheck disable=SC1091
  if [ -f build/venv/bin/activate ]; then source build/venv/bin/activate; else source build/venv/Scripts/activate; fi
fi

echo "== dependencies ($(python -c 'import sys; print(sys.prefix)')) =="
mkdir -p build
python - >build/requirements.txt <<'PY'
import tomllib
print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))
PY
echo "pyinstaller>=6.10" >>build/requirements.txt
python -m pip install -q -r build/requirements.txt
python -m pip install -q --no-deps --force-reinstall .

echo "== PyInstaller bundle =="
rm -rf dist/stock-tracker
python -P -m PyInstaller packaging/stock-tracker.spec --noconfirm --log-level WARN \
  --distpath dist --workpath build/pyinstaller
exe=dist/stock-tracker/stock-tracker
[ -x "$exe" ] || [ -x "$exe.exe" ] || { echo "build.sh: no executable in dist/stock-tracker" >&2; exit 1; }
echo "bundle: $root/dist/stock-tracker ($(du -sh dist/stock-tracker | cut -f1))"

if [ "${SKIP_DEB:-0}" != 1 ] && [ "$(uname -s)" = Linux ] && command -v dpkg-deb >/dev/null; then
  bash packaging/deb/build_deb.sh
else
  echo "(no .deb: not Linux, no dpkg-deb, or SKIP_DEB=1)"
fi
echo "build.sh: done in $(( $(date +%s) - started )) s"
