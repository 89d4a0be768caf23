"""The Vietnamese UI: the catalogue covers every translatable text, and the window shows it.

(a) every text in ``self.tr`` / ``QCoreApplication.translate`` / ``QT_TRANSLATE_NOOP`` under
``desktop_app/ui`` has a Vietnamese entry and the catalogue has none that the source no longer
uses; (b) the main window built with the Vietnamese translator shows no English text that the
catalogue translates; (c) the language setting persists and "auto" follows the locale.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QDockWidget,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTabBar,
    QWidget,
)

from desktop_app.config import Settings
from desktop_app.errors import ConfigurationError
from desktop_app.feeds.spec import FeedSpec
from desktop_app.ui.credentials import CredentialStore
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.settings_dialog import SettingsDialog
from desktop_app.ui.translation import CatalogueTranslator, install_translation, load_catalogue, resolve_language
from desktop_app.ui.watchlist import COLUMNS
from tests.ui.catalogue_source import translatable_texts

CATALOGUE_FILE = Path(__file__).resolve().parents[2] / "resources" / "i18n" / "vi.json"


# ------------------------------------------------------------------ (a) the catalogue
def test_every_translatable_text_has_a_vietnamese_entry_and_none_is_stale() -> None:
    found, dynamic = translatable_texts()
    assert dynamic == [], f"self.tr / QT_TRANSLATE_NOOP with a non-literal text: {dynamic}"
    assert len(found) > 300  # the extractor sees the whole UI (a broken walk would find nothing)
    catalogue = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))
    entries = {(context, source) for context, texts in catalogue.items() for source in texts}
    missing = sorted(t for t in found if not catalogue.get(t[0], {}).get(t[1], "").strip())
    assert missing == [], f"untranslated: {missing}"
    assert sorted(entries - found) == [], "stale catalogue entries (no longer in the source)"


def test_placeholders_and_shortcut_marks_survive_translation() -> None:
    catalogue = load_catalogue("vi")
    for context, texts in catalogue.items():
        for source, text in texts.items():
            fields = {p.split("}")[0] for p in source.split("{")[1:]}
            assert fields == {p.split("}")[0] for p in text.split("{")[1:]}, (context, source, text)
            assert ("&" in source) == ("&" in text), (context, source, text)


def test_a_miss_falls_back_to_the_english_source(qapp, vietnamese) -> None:  # type: ignore[no-untyped-def]
    assert QCoreApplication.translate("MainWindow", "&File") == "&Tệp"
    assert QCoreApplication.translate("MainWindow", "not a catalogued text") == "not a catalogued text"
    assert COLUMNS[0].title() == "Mã" and COLUMNS[0].header == "Symbol"


# ------------------------------------------------------------------ (b) what the window shows
def _visible_texts(window: MainWindow) -> list[tuple[str, str]]:
    """(where, text) for every label, button, action, tab, dock title, placeholder and header."""
    texts: list[tuple[str, str]] = []
    for w in window.findChildren(QWidget):
        name = type(w).__name__
        if isinstance(w, (QLabel, QAbstractButton)):
            texts.append((name, w.text()))
        if isinstance(w, QLineEdit):
            texts.append((name, w.placeholderText()))
        if isinstance(w, QGroupBox):
            texts.append((name, w.title()))
        if isinstance(w, QDockWidget):
            texts.append((name, w.windowTitle()))
        if isinstance(w, QTabBar):
            texts += [(name, w.tabText(i)) for i in range(w.count())]
        if isinstance(w, QHeaderView) and w.orientation() == Qt.Orientation.Horizontal and w.model() is not None:
            texts += [(name, str(w.model().headerData(c, Qt.Orientation.Horizontal) or "")) for c in range(w.count())]
        texts += [(f"{name} action", a.text()) for a in w.actions()]
        if w.toolTip():
            texts.append((f"{name} tooltip", w.toolTip()))
    for menu_action in window.menuBar().actions():
        texts.append(("menu", menu_action.text()))
        if menu_action.menu() is not None:
            texts += [("menu item", a.text()) for a in menu_action.menu().actions()]
    return texts


def test_the_vietnamese_window_shows_no_catalogued_english_text(qtbot, tmp_path: Path, vietnamese) -> None:  # type: ignore[no-untyped-def]
    catalogue = load_catalogue("vi")
    english = {source for texts in catalogue.values() for source, text in texts.items() if text != source}
    window = MainWindow(Settings(home=tmp_path), FeedSpec("demo"))
    qtbot.addWidget(window)
    shown = _visible_texts(window)
    left = sorted({(where, text) for where, text in shown if text in english})
    assert left == [], f"English text left in the Vietnamese UI: {left}"
    texts = {text for _where, text in shown}
    for expected in ("Mã", "Trần", "Sàn", "TC", "Giá khớp", "KL khớp", "GT khớp (tỷ)", "&Tệp", "&Dữ liệu",
                     "Trợ &giúp", "Cảnh báo", "Trong ngày", "Theo ngày"):
        assert expected in texts, expected
    assert window.watchlist.strip.clock.text().startswith("HOSE ")
    assert "Phái sinh" in window.watchlist.strip.clock.text()


def test_the_english_window_is_unchanged(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(Settings(home=tmp_path), FeedSpec("demo"))
    qtbot.addWidget(window)
    texts = {text for _where, text in _visible_texts(window)}
    assert {"Symbol", "Ceil", "Floor", "Ref", "Last", "&File", "&Data", "&Help"} <= texts


# ------------------------------------------------------------------ (c) the language setting
def test_the_language_switch_persists(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(home=tmp_path)
    dialog = SettingsDialog(settings, CredentialStore(settings))
    qtbot.addWidget(dialog)
    assert dialog.language_combo.currentData() == "auto"
    dialog.language_combo.setCurrentIndex(dialog.language_combo.findData("vi"))
    assert dialog.save() is not None
    assert json.loads((tmp_path / "settings.json").read_text(encoding="utf-8"))["language"] == "vi"
    assert "language" in dialog.restart_label.text()
    assert Settings.load({"STOCK_TRACKER_HOME": str(tmp_path)}).language == "vi"
    again = SettingsDialog(Settings.load({"STOCK_TRACKER_HOME": str(tmp_path)}), CredentialStore(settings))
    qtbot.addWidget(again)
    assert again.language_combo.currentData() == "vi"


def test_an_unknown_language_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="language"):
        Settings(home=tmp_path, language="fr").validate()


def test_auto_follows_a_vietnamese_locale(qapp) -> None:  # type: ignore[no-untyped-def]
    before = QLocale()
    try:
        QLocale.setDefault(QLocale("vi_VN"))
        assert resolve_language("auto") == "vi"
        assert resolve_language("en") == "en"
        translator = install_translation(qapp, "auto")
        assert translator is not None
        try:
            assert QCoreApplication.translate("SettingsDialog", "Settings") == "Cài đặt"
        finally:
            qapp.removeTranslator(translator)
        QLocale.setDefault(QLocale("en_US"))
        assert resolve_language("auto") == "en"
        assert install_translation(qapp, "auto") is None
        assert QCoreApplication.translate("SettingsDialog", "Settings") == "Settings"
    finally:
        QLocale.setDefault(before)


def test_chart_read_outs_and_the_volume_key_follow_the_language(qapp) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    from desktop_app.ui.charts.intraday_chart import volume_key_tooltip, volume_split

    volumes = np.array([1200.0, 800.0, 0.0, 300.0])
    assert volume_split(volumes) == "buy 1,200 sell 800 auction 300"
    assert volume_key_tooltip().startswith("Volume by trade type: Active buy, Active sell, Neutral, Auction (ATO/ATC). ")
    translator = CatalogueTranslator(load_catalogue("vi"))
    qapp.installTranslator(translator)
    try:
        assert volume_split(volumes) == "mua 1,200 bán 800 khớp định kỳ 300"
        assert volume_key_tooltip().startswith("Khối lượng theo loại lệnh: Mua chủ động, Bán chủ động, Trung tính, ")
        assert "Giao dịch thỏa thuận" in volume_key_tooltip()
    finally:
        qapp.removeTranslator(translator)
