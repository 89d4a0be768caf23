"""Alerts -> Rules: the user's price alerts, listed, added, edited and deleted.

The table is a ``QAbstractTableModel`` over the rules the ``PriceAlertRuleService`` holds (the
service writes the database first, then the processor's live rule set). Dialogs open with
``open()`` and answer through signals; database work runs as tasks on the app's loop.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Sequence

from PySide6.QtCore import QT_TRANSLATE_NOOP, QAbstractTableModel, QCoreApplication, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.domain import PriceAlertRule, PriceRuleKind
from desktop_app.processing.price_alerts import validate_rule
from desktop_app.ui.async_tasks import ErrorHandler, TaskSlots

KIND_LABELS: dict[PriceRuleKind, tuple[str, str]] = {
    # kind: (what the user picks, what the threshold means)
    PriceRuleKind.PRICE_ABOVE: (QT_TRANSLATE_NOOP("PriceRuleDialog", "Price at or above"),
                                QT_TRANSLATE_NOOP("PriceRuleDialog", "price")),
    PriceRuleKind.PRICE_BELOW: (QT_TRANSLATE_NOOP("PriceRuleDialog", "Price at or below"),
                                QT_TRANSLATE_NOOP("PriceRuleDialog", "price")),
    PriceRuleKind.CHANGE_PCT: (QT_TRANSLATE_NOOP("PriceRuleDialog", "% change from reference"),
                               QT_TRANSLATE_NOOP("PriceRuleDialog", "% (negative = down)")),
    PriceRuleKind.VOLUME_SPIKE: (QT_TRANSLATE_NOOP("PriceRuleDialog", "Volume spike (minute vs day average)"),
                                 QT_TRANSLATE_NOOP("PriceRuleDialog", "k x average minute")),
    PriceRuleKind.BIG_PRINT: (QT_TRANSLATE_NOOP("PriceRuleDialog", "Big print"),
                              QT_TRANSLATE_NOOP("PriceRuleDialog", "VND per print")),
}


def _threshold_text(value: Decimal) -> str:
    return f"{value.normalize():,f}"


@dataclass(frozen=True, slots=True)
class Column:
    title: str
    text: Callable[[PriceAlertRule], str]


COLUMNS: tuple[Column, ...] = (
    Column(QT_TRANSLATE_NOOP("PriceRulesModel", "Symbol"), lambda r: r.symbol),
    Column(QT_TRANSLATE_NOOP("PriceRulesModel", "Alert when"), lambda r: QCoreApplication.translate("PriceRuleDialog", KIND_LABELS[r.kind][0])),
    Column(QT_TRANSLATE_NOOP("PriceRulesModel", "Threshold"), lambda r: _threshold_text(r.threshold)),
    Column(QT_TRANSLATE_NOOP("PriceRulesModel", "Enabled"), lambda r: "yes" if r.enabled else "no"),
    Column(QT_TRANSLATE_NOOP("PriceRulesModel", "Note"), lambda r: r.note or ""),
)


class PriceRulesModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rules: list[PriceAlertRule] = []

    def set_rules(self, rules: Sequence[PriceAlertRule]) -> None:
        self.beginResetModel()
        self.rules = list(rules)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.rules)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return QCoreApplication.translate("PriceRulesModel", COLUMNS[section].title)
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        return COLUMNS[index.column()].text(self.rules[index.row()])


class PriceRuleDialog(QDialog):
    """Add or edit one rule; ``ruleAccepted(symbol, kind, threshold, enabled, note)`` on OK."""

    ruleAccepted = Signal(str, object, object, bool, object)

    def __init__(self, parent: QWidget | None = None, *, rule: PriceAlertRule | None = None,
                 symbol: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Edit price alert") if rule else self.tr("New price alert"))
        self.symbol = QLineEdit(rule.symbol if rule else (symbol or ""))
        self.symbol.setMaxLength(10)
        self.kind = QComboBox()
        for kind, (label, _) in KIND_LABELS.items():
            self.kind.addItem(QCoreApplication.translate("PriceRuleDialog", label), kind)
        self.threshold = QLineEdit(_threshold_text(rule.threshold).replace(",", "") if rule else "")
        self.unit = QLabel()
        self.enabled = QCheckBox(self.tr("Enabled"))
        self.enabled.setChecked(rule.enabled if rule else True)
        self.note = QLineEdit(rule.note or "" if rule else "")
        self.error = QLabel()
        self.error.setStyleSheet("color: #f04848")
        if rule is not None:
            self.kind.setCurrentIndex(list(KIND_LABELS).index(rule.kind))
        self.kind.currentIndexChanged.connect(self._show_unit)
        self._show_unit()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._try_accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(self.tr("Symbol"), self.symbol)
        form.addRow(self.tr("Alert when"), self.kind)
        threshold_row = QHBoxLayout()
        threshold_row.addWidget(self.threshold)
        threshold_row.addWidget(self.unit)
        form.addRow(self.tr("Threshold"), threshold_row)
        form.addRow("", self.enabled)
        form.addRow(self.tr("Note"), self.note)
        form.addRow(self.error)
        form.addRow(buttons)

    def _show_unit(self) -> None:
        self.unit.setText(QCoreApplication.translate("PriceRuleDialog", KIND_LABELS[self.kind.currentData()][1]))

    def _try_accept(self) -> None:
        symbol = self.symbol.text().strip().upper()
        kind = PriceRuleKind(self.kind.currentData())  # Qt hands a str-enum back as str
        try:
            threshold = Decimal(self.threshold.text().strip().replace(",", ""))
        except InvalidOperation:
            self.error.setText("The threshold must be a number")
            return
        if not (symbol and symbol.isalnum()):
            self.error.setText("Enter a ticker symbol, e.g. HPG")
            return
        try:
            validate_rule(kind, threshold)
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        self.ruleAccepted.emit(symbol, kind, threshold, self.enabled.isChecked(), self.note.text().strip() or None)
        self.accept()


class PriceRulesView(QWidget):
    """The Rules list with Add / Edit / Delete, over a ``PriceAlertRuleService``."""

    changed = Signal()

    def __init__(self, service: Any = None, parent: QWidget | None = None, *,
                 on_error: ErrorHandler | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Price alert rules"))
        self.service = service
        self.tasks = TaskSlots(on_error)
        self.model = PriceRulesModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _i: self.edit_selected())
        self.add_button = QPushButton(self.tr("Add…"))
        self.edit_button = QPushButton(self.tr("Edit…"))
        self.delete_button = QPushButton(self.tr("Delete"))
        self.add_button.clicked.connect(lambda: self.new_rule())
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.status = QLabel()
        buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.status)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self.dialog: PriceRuleDialog | None = None
        if service is not None:
            self.model.set_rules(service.rules)

    def set_service(self, service: Any) -> None:
        self.service = service
        self.reload()

    def reload(self) -> None:
        if self.service is not None:
            self.tasks.start("load rules", self._run(self.service.load()))

    def selected_rule(self) -> PriceAlertRule | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.rules[rows[0].row()] if rows else None

    def new_rule(self, symbol: str | None = None) -> PriceRuleDialog:
        dialog = PriceRuleDialog(self, symbol=symbol)
        dialog.ruleAccepted.connect(self._add)
        return self._open(dialog)

    def edit_selected(self) -> PriceRuleDialog | None:
        rule = self.selected_rule()
        if rule is None:
            return None
        dialog = PriceRuleDialog(self, rule=rule)
        dialog.ruleAccepted.connect(
            lambda symbol, kind, threshold, enabled, note: self.tasks.start("save rule", self._run(
                self.service.update(replace(rule, symbol=symbol, kind=kind, threshold=threshold,
                                            enabled=enabled, note=note)))))
        return self._open(dialog)

    def delete_selected(self) -> None:
        rule = self.selected_rule()
        if rule is not None and self.service is not None:
            self.tasks.start("delete rule", self._run(self.service.delete(rule.id)))

    def _open(self, dialog: PriceRuleDialog) -> PriceRuleDialog:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _add(self, symbol: str, kind: PriceRuleKind, threshold: Decimal, enabled: bool, note: str | None) -> None:
        if self.service is not None:
            self.tasks.start("add rule", self._run(self._add_rule(symbol, kind, threshold, enabled, note)))

    async def _add_rule(self, symbol: str, kind: PriceRuleKind, threshold: Decimal, enabled: bool,
                        note: str | None) -> None:
        rule = await self.service.add(symbol, kind, threshold, note)
        if not enabled:
            await self.service.update(replace(rule, enabled=False))

    async def _run(self, work: Any) -> None:
        await work
        self.model.set_rules(self.service.rules)
        self.status.setText(self.tr("{n} rules").format(n=len(self.model.rules)))
        self.changed.emit()
