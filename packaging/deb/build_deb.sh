#!/usr/bin/env bash
# dist/stock-tracker_<version>_amd64.deb from the bundle dist/stock-tracker (run by build.sh).
#   /opt/stock-tracker/                          the bundle
#   /usr/bin/stock-tracker -> /opt/stock-tracker/stock-tracker
#   /usr/share/applications/stock-tracker.desktop
#   /usr/share/icons/hicolor/<n>x<n>/apps/stock-tracker.png   (scaled at build time)
# `dpkg -r stock-tracker` removes all of it; the users' data dirs (~/.local/share/...) stay.
# DEB_COMPRESSION, DEB_LEVEL: dpkg-deb -Z, -z (default gzip 6: readable by every dpkg, quick to build).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x dist/stock-tracker/stock-tracker ] || { echo "build_deb.sh: build the bundle first (packaging/build.sh)" >&2; exit 1; }

version=$(python3 -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
deb="dist/stock-tracker_${version}_${arch}.deb"
stage=build/deb/stock-tracker
rm -rf "$stage" && mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin" "$stage/usr/share/applications"

cp -a dist/stock-tracker "$stage/opt/stock-tracker"
ln -s /opt/stock-tracker/stock-tracker "$stage/usr/bin/stock-tracker"
install -m 0644 resources/stock-tracker.desktop "$stage/usr/share/applications/stock-tracker.desktop"
"${PYTHON:-python}" packaging/icon_sizes.py resources/icons/stock-tracker.png "$stage/usr/share/icons/hicolor"
chmod -R u+rwX,go+rX,go-w "$stage"

# The xcb platform plugin and Qt's GUI libraries load these from the system (the bundle leaves
# them out on purpose, see the spec); zlib for PostgreSQL. Checked with ldd on the bundled
# plugins (libqxcb, xcb GL integrations, libQt6Gui/XcbQpa/DBus). Ubuntu 24.04 renamed some (t64).
depends=(
  libc6 "libstdc++6" libgcc-s1 zlib1g libexpat1 libfontconfig1 libfreetype6
  "libglib2.0-0t64 | libglib2.0-0" libdbus-1-3 libgl1 libegl1
  libx11-6 libx11-xcb1 libxcb1 libxcb-cursor0 libxcb-glx0 libxcb-icccm4 libxcb-image0
  libxcb-keysyms1 libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0 libxcb-shm0
  libxcb-sync1 libxcb-util1 libxcb-xfixes0 libxcb-xkb1 libxkbcommon0 libxkbcommon-x11-0
)
size_kb=$(du -sk "$stage" | cut -f1)
{
  echo "Package: stock-tracker"
  echo "Version: $version"
  echo "Architecture: $arch"
  echo "Maintainer: VN30 Stock Tracker <noreply@localhost>"
  echo "Installed-Size: $size_kb"
  echo "Depends: $(IFS=,; echo "${depends[*]}" | sed 's/,/, /g')"
  echo "Recommends: fonts-dejavu-core | fonts-liberation2"
  echo "Section: misc"
  echo "Priority: optional"
  echo "Homepage: https://localhost/stock-tracker"
  echo "Description: live VN30 market tracker"
  echo " Active buy/sell, foreign flow, futures basis and alerts for the Vietnamese VN30"
  echo " market, persisted to an embedded PostgreSQL. Desktop app and headless CLI."
} >"$stage/DEBIAN/control"

# No maintainer scripts: the desktop menu and icon caches are refreshed by dpkg triggers
# (desktop-file-utils, hicolor-icon-theme), and without a postrm `dpkg -r` leaves nothing behind,
# not even a "config-files" entry.
dpkg-deb --root-owner-group -Z"${DEB_COMPRESSION:-gzip}" -z"${DEB_LEVEL:-6}" --build "$stage" "$deb" >/dev/null
echo "deb: $(pwd)/$deb ($(du -h "$deb" | cut -f1))"
