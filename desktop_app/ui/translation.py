"""The UI language: a QTranslator over the shipped JSON catalogue (``resources/i18n/<lang>.json``).

The catalogue maps a Qt translation context to ``{English source: translation}``; a miss returns
None (a null QString: an empty one would be taken as the translation), so Qt shows the English source. Which language: ``Settings.language`` ("en", "vi"), or
with "auto" the system locale (``QLocale`` default, so a test can set it). Applies at start-up.
"""

from __future__ import annotations

import json
import logging

from PySide6.QtCore import QCoreApplication, QLocale, QTranslator

from desktop_app.feeds.basket import find_resource

log = logging.getLogger(__name__)

TRANSLATED_LANGUAGES = ("vi",)  # languages with a catalogue; English is the source text


def resolve_language(choice: str) -> str:
    """``"en"`` or a catalogue's language for a Settings choice; ``"auto"`` follows the locale."""
    if choice != "auto":
        return choice
    return "vi" if QLocale().name().startswith("vi") else "en"


def load_catalogue(language: str) -> dict[str, dict[str, str]]:
    """The shipped ``context -> {source: translation}`` mapping for a language."""
    with open(find_resource(f"i18n/{language}.json"), encoding="utf-8") as fh:
        return json.load(fh)


class CatalogueTranslator(QTranslator):
    """Answers Qt's translate() from a JSON catalogue; no compiled .qm file needed."""

    def __init__(self, catalogue: dict[str, dict[str, str]], parent=None) -> None:
        super().__init__(parent)
        self.catalogue = catalogue
        # self.tr() in a subclass asks with the subclass's name: any context's entry answers then
        self.any_context = {source: text for entries in catalogue.values() for source, text in entries.items()}

    def translate(self, context: str, source_text: str, disambiguation: str | None = None,
                  n: int = -1) -> str | None:
        return self.catalogue.get(context, {}).get(source_text) or self.any_context.get(source_text)

    def isEmpty(self) -> bool:
        return not self.catalogue


def install_translation(app: QCoreApplication, choice: str) -> CatalogueTranslator | None:
    """Install the translator for a Settings choice; None when the UI stays English."""
    language = resolve_language(choice)
    if language not in TRANSLATED_LANGUAGES:
        return None
    translator = CatalogueTranslator(load_catalogue(language), app)
    app.installTranslator(translator)
    log.info("UI language: %s", language)
    return translator
