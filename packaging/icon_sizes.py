"""Write the app icon at the hicolor theme sizes: ``python packaging/icon_sizes.py SRC.png OUT_DIR``.

Scaled at build time with Qt (already a dependency) so that no generated image is committed.
Result: ``OUT_DIR/<n>x<n>/apps/stock-tracker.png`` for every size in ``SIZES``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

SIZES = (16, 22, 24, 32, 48, 64, 128, 256)


def main(source: Path, out_dir: Path) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage

    _app = QGuiApplication.instance() or QGuiApplication([])
    image = QImage(str(source))
    if image.isNull():
        print(f"icon_sizes: cannot read {source}", file=sys.stderr)
        return 1
    for size in SIZES:
        target = out_dir / f"{size}x{size}" / "apps" / "stock-tracker.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        scaled = image.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                              Qt.TransformationMode.SmoothTransformation)
        if not scaled.save(str(target), "PNG"):
            print(f"icon_sizes: cannot write {target}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__.splitlines()[0], file=sys.stderr)
        sys.exit(2)
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
