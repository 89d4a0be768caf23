#!/usr/bin/env bash
# Build a one-folder desktop bundle under dist/stock-tracker (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -q pyinstaller .
pyinstaller packaging/stock-tracker.spec --noconfirm --distpath dist --workpath build/pyinstaller
echo "bundle: dist/stock-tracker/stock-tracker"
