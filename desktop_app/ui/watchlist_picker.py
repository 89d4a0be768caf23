"""Own watchlists on the board: a list picker, an "Add symbol…" search box, remove and reorder
actions, and a small "Manage lists…" dialog.

Everything is read and written through ``WatchlistService`` (lists) and ``SecuritiesCatalog``
(the cached securities the search box completes from); the board model only gets the chosen
list's symbols (``WatchlistModel.set_symbols``). The chosen list is remembered in the window's
state file. Dialogs open with ``open()``: no nested event loop.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Sequence

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QSettings,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QKeySequence, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QToolButton,
    QWidget,
)

from desktop_app.instruments import Security, Watchlist, fold, matches, search_key
from desktop_app.ui.async_tasks import TaskSlots
from desktop_app.ui.watchlist import WatchlistView

log = logging.getLogger(__name__)

CURRENT_LIST_KEY = "watchlist/current"
SYMBOL_ROLE = Qt.ItemDataRole.UserRole + 1
KEY_ROLE = Qt.ItemDataRole.UserRole + 2
MAX_SUGGESTIONS = 50

ErrorHandler = Callable[[str, BaseException], None]


class SecuritySearchModel(QSortFilterProxyModel):
    """The cached securities filtered by a query: symbol or either name, accents ignored;
    exact and leading symbol matches first."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.items = QStandardItemModel(self)
        self.setSourceModel(self.items)
        self._query = ""
        self._known: set[str] = set()
        self.setSortRole(KEY_ROLE + 1)
        self.setDynamicSortFilter(False)  # re-filtered once per query

    def set_securities(self, securities: Sequence[Security]) -> None:
        self.items.clear()
        self._known = {s.symbol for s in securities}
        for security in securities:
            item = QStandardItem(security.label())
            item.setData(security.symbol, SYMBOL_ROLE)
            item.setData(search_key(security), KEY_ROLE)
            item.setEditable(False)
            self.items.appendRow(item)
        self.set_query(self._query)

    def knows(self, symbol: str) -> bool:
        return symbol in self._known

    def set_query(self, text: str) -> None:
        self._query = text
        query = fold(text).strip()
        self.items.blockSignals(True)  # one re-filter below, not one per row
        try:
            for row in range(self.items.rowCount()):  # rank: exact symbol, symbol prefix, the rest
                item = self.items.item(row)
                symbol = fold(item.data(SYMBOL_ROLE))
                rank = 0 if symbol == query else 1 if query and symbol.startswith(query) else 2
                item.setData(f"{rank}{symbol}", KEY_ROLE + 1)
        finally:
            self.items.blockSignals(False)
        self.invalidate()
        self.sort(0)

    def filterAcceptsRow(self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex) -> bool:  # noqa: N802
        if not self._query.strip():
            return False
        key = self.items.index(source_row, 0, source_parent).data(KEY_ROLE)
        return matches(key or "", self._query)

    def symbols(self) -> list[str]:
        """The matching symbols, best first."""
        return [self.index(r, 0).data(SYMBOL_ROLE) for r in range(self.rowCount())]


class WatchlistPicker(QWidget):
    """The bar above the board; it places itself at the top of ``view``."""

    listsChanged = Signal()

    def __init__(self, view: WatchlistView, state: QSettings, on_error: ErrorHandler | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = view
        self.state = state
        self.service: Any = None
        self.catalog: Any = None
        self.lists: list[Watchlist] = []
        self._report = on_error or (lambda _what, _exc: None)
        self.tasks = TaskSlots(self._failed)

        self.combo = QComboBox()
        self.combo.setToolTip(self.tr("Watchlist shown on the board"))
        self.combo.setEnabled(False)
        self.combo.currentIndexChanged.connect(self._combo_changed)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Add symbol…"))
        self.search.setToolTip(self.tr("Type a symbol or a company name (Vietnamese or English), then Enter"))
        self.search.setClearButtonEnabled(True)
        self.search.setEnabled(False)
        self.search_model = SecuritySearchModel(self)
        self.completer = QCompleter(self.search_model, self)
        self.completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer.setMaxVisibleItems(12)
        self.search.setCompleter(self.completer)
        self.search.textEdited.connect(self._query_edited)
        self.search.returnPressed.connect(self.add_typed_symbol)
        self.completer.activated[QModelIndex].connect(self._suggestion_chosen)
        self.manage_button = QToolButton()
        self.manage_button.setText(self.tr("Manage lists…"))
        self.manage_button.setEnabled(False)
        self.manage_button.clicked.connect(self.open_manager)
        row = QHBoxLayout(self)
        row.setContentsMargins(2, 2, 2, 2)
        row.addWidget(self.combo, 2)
        row.addWidget(self.search, 3)
        row.addWidget(self.manage_button)

        self.remove_action = self._board_action(self.tr("Remove from list"), QKeySequence.StandardKey.Delete,
                                                self.remove_selected)
        self.move_up_action = self._board_action(self.tr("Move up"), QKeySequence("Ctrl+Up"),
                                                 lambda: self.move_selected(-1))
        self.move_down_action = self._board_action(self.tr("Move down"), QKeySequence("Ctrl+Down"),
                                                   lambda: self.move_selected(1))
        view.table.installEventFilter(self)  # the keys also work where shortcuts are not dispatched
        layout = view.layout()
        if layout is not None:
            layout.insertWidget(0, self)
        self.manager: ManageListsDialog | None = None

    def _board_action(self, text: str, key: QKeySequence | QKeySequence.StandardKey,
                      slot: Callable[[], Any]) -> QAction:
        action = QAction(text, self)
        action.setShortcut(key)
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setEnabled(False)
        action.triggered.connect(slot)
        for widget in (self.view.table, self.view.table.frozen):
            widget.addAction(action)
            widget.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        return action

    def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802
        if obj is self.view.table and event.type() == QEvent.Type.KeyPress:
            for action in (self.remove_action, self.move_up_action, self.move_down_action):
                if action.isEnabled() and QKeySequence(event.keyCombination()) == action.shortcut():
                    action.trigger()
                    return True
        return False

    # ------------------------------------------------------------------ start
    def attach(self, service: Any, catalog: Any) -> None:
        """Load the lists and the searchable securities (in the background)."""
        self.service = service
        self.catalog = catalog
        self.tasks.start("watchlists", self.reload())
        self.tasks.start("securities", self.load_securities())

    async def reload(self, select_id: int | None = None) -> None:
        self.lists = await self.service.lists()
        wanted = select_id if select_id is not None else self._remembered_id()
        self._fill_combo(wanted)
        for widget in (self.combo, self.search, self.manage_button, self.remove_action,
                       self.move_up_action, self.move_down_action):
            widget.setEnabled(True)
        self.listsChanged.emit()

    async def load_securities(self) -> None:
        self.search_model.set_securities(await self.catalog.securities())
        if self.search.text().strip() and self.search_model.rowCount():
            self.completer.complete()

    def _remembered_id(self) -> int | None:
        value = self.state.value(CURRENT_LIST_KEY)
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            return None

    def _fill_combo(self, wanted: int | None) -> None:
        self.combo.blockSignals(True)
        self.combo.clear()
        for watchlist in self.lists:
            self.combo.addItem(watchlist.name, watchlist.id)
        index = self.combo.findData(wanted) if wanted is not None else -1
        self.combo.setCurrentIndex(max(index, 0))
        self.combo.blockSignals(False)
        self._show_current()

    # ------------------------------------------------------------------ the shown list
    def current(self) -> Watchlist | None:
        list_id = self.combo.currentData()
        return next((w for w in self.lists if w.id == list_id), None)

    def select_list(self, name: str) -> bool:
        index = self.combo.findText(name)
        if index < 0:
            return False
        self.combo.setCurrentIndex(index)
        return True

    def _combo_changed(self, _index: int) -> None:
        self._show_current()

    def _show_current(self) -> None:
        watchlist = self.current()
        if watchlist is None:
            return
        self.state.setValue(CURRENT_LIST_KEY, watchlist.id)
        self.state.sync()
        self._show(watchlist)

    def _show(self, watchlist: Watchlist) -> None:
        """The board shows the list in its own order; the selected symbol stays selected."""
        selected = self.view.selected_symbol()
        selection = self.view.table.selectionModel()
        selection.blockSignals(True)  # the charts keep their symbol: no reload
        try:
            self.view.model.set_symbols(watchlist.symbols)
            self.view.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
            self.view.proxy.sort(-1)
            if selected is not None:
                self.view.select_symbol(selected)
        finally:
            selection.blockSignals(False)

    def _replace(self, stored: Watchlist) -> None:
        self.lists = [stored if w.id == stored.id else w for w in self.lists]
        if self.current() is not None and self.current().id == stored.id:  # type: ignore[union-attr]
            self._show(stored)
        self.listsChanged.emit()

    # ------------------------------------------------------------------ search and add
    def _query_edited(self, text: str) -> None:
        if self.catalog is not None and len(text) == 1:  # a new search: the daily refresh may have landed
            self.tasks.start("securities", self.load_securities())
        self.search_model.set_query(text)
        if self.search_model.rowCount():
            self.completer.complete()

    def _suggestion_chosen(self, index: QModelIndex) -> None:
        symbol = index.data(SYMBOL_ROLE)
        if symbol:
            self.add_symbol(str(symbol))

    def resolve(self, text: str) -> str | None:
        """The symbol a typed text means: a known symbol as typed, else the best suggestion."""
        token = text.split("—")[0].strip().upper()
        if self.search_model.knows(token):
            return token
        self.search_model.set_query(text)
        best = self.search_model.symbols()
        return best[0] if best else None

    def add_typed_symbol(self) -> None:
        symbol = self.resolve(self.search.text())
        if symbol is None:
            self.search.setToolTip(self.tr("No listed symbol matches “{text}”").format(text=self.search.text()))
            return
        self.add_symbol(symbol)

    def add_symbol(self, symbol: str) -> None:
        watchlist = self.current()
        if watchlist is None or self.service is None:
            return
        self.search.clear()
        self.completer.popup().hide()
        self.tasks.start("edit", self._edit(self.service.add_symbol(watchlist.id, symbol), select=symbol))

    async def _edit(self, change: Any, select: str | None = None) -> None:
        stored = await change
        self._replace(stored)
        if select is not None:
            self.view.select_symbol(select)  # selecting it shows its chart

    def remove_selected(self) -> None:
        watchlist, symbol = self.current(), self.view.selected_symbol()
        if watchlist is None or symbol is None or self.service is None:
            return
        self.tasks.start("edit", self._edit(self.service.remove_symbol(watchlist.id, symbol)))

    def move_selected(self, offset: int) -> None:
        watchlist, symbol = self.current(), self.view.selected_symbol()
        if watchlist is None or symbol is None or self.service is None:
            return
        self.tasks.start("edit", self._edit(self.service.move_symbol(watchlist.id, symbol, offset),
                                            select=symbol))

    # ------------------------------------------------------------------ lists
    def open_manager(self) -> "ManageListsDialog":
        if self.manager is None:
            self.manager = ManageListsDialog(self, self.window())
        self.manager.refill()
        self.manager.open()
        return self.manager

    def create_list(self, name: str) -> None:
        self.tasks.start("lists", self._create(name))

    async def _create(self, name: str) -> None:
        created = await self.service.create(name)
        await self.reload(select_id=created.id)

    def rename_list(self, list_id: int, name: str) -> None:
        self.tasks.start("lists", self._rename(list_id, name))

    async def _rename(self, list_id: int, name: str) -> None:
        await self.service.rename(list_id, name)
        await self.reload(select_id=self.combo.currentData())

    def delete_list(self, list_id: int) -> None:
        self.tasks.start("lists", self._delete(list_id))

    async def _delete(self, list_id: int) -> None:
        await self.service.delete(list_id)
        current = self.combo.currentData()
        await self.reload(select_id=None if current == list_id else current)

    def reorder_list(self, list_id: int, symbols: Sequence[str]) -> None:
        self.tasks.start("edit", self._edit(self.service.set_symbols(list_id, symbols)))

    def _failed(self, what: str, exc: BaseException) -> None:
        log.warning("watchlist %s failed: %s", what, exc)
        self._report(f"Watchlist {what}", exc)


class ManageListsDialog(QDialog):
    """Create, rename and delete lists; drag a list's symbols into a new order."""

    def __init__(self, picker: WatchlistPicker, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.picker = picker
        self.setWindowTitle(self.tr("Manage watchlists"))
        self.lists = QListWidget()
        self.lists.currentRowChanged.connect(self._show_symbols)
        self.symbols = QListWidget()
        self.symbols.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.symbols.setToolTip(self.tr("Drag symbols to reorder the list"))
        self.symbols.model().rowsMoved.connect(self._symbols_moved)
        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("List name"))
        self.new_button = QPushButton(self.tr("New list"))
        self.new_button.clicked.connect(self._new)
        self.rename_button = QPushButton(self.tr("Rename"))
        self.rename_button.clicked.connect(self._rename)
        self.delete_button = QPushButton(self.tr("Delete"))
        self.delete_button.clicked.connect(self._delete)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        grid = QGridLayout(self)
        grid.addWidget(QLabel(self.tr("Lists")), 0, 0)
        grid.addWidget(QLabel(self.tr("Symbols (drag to reorder)")), 0, 1)
        grid.addWidget(self.lists, 1, 0)
        grid.addWidget(self.symbols, 1, 1)
        grid.addWidget(self.name, 2, 0, 1, 2)
        row = QHBoxLayout()
        for button in (self.new_button, self.rename_button, self.delete_button):
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(buttons)
        grid.addLayout(row, 3, 0, 1, 2)
        picker.listsChanged.connect(self.refill)

    def selected(self) -> Watchlist | None:
        item = self.lists.currentItem()
        if item is None:
            return None
        list_id = item.data(Qt.ItemDataRole.UserRole)
        return next((w for w in self.picker.lists if w.id == list_id), None)

    def refill(self) -> None:
        keep = self.selected()
        wanted = keep.id if keep is not None else self.picker.combo.currentData()
        self.lists.blockSignals(True)
        self.lists.clear()
        for watchlist in self.picker.lists:
            text = self.tr("{name} (default)").format(name=watchlist.name) if watchlist.builtin else watchlist.name
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, watchlist.id)
            self.lists.addItem(item)
            if watchlist.id == wanted:
                self.lists.setCurrentItem(item)
        self.lists.blockSignals(False)
        self._show_symbols()

    def _show_symbols(self, _row: int = -1) -> None:
        watchlist = self.selected()
        self.symbols.blockSignals(True)
        self.symbols.clear()
        if watchlist is not None:
            self.symbols.addItems(list(watchlist.symbols))
            self.name.setText(watchlist.name)
        self.symbols.blockSignals(False)
        self.delete_button.setEnabled(watchlist is not None and not watchlist.builtin)
        self.rename_button.setEnabled(watchlist is not None)

    def _symbols_moved(self, *_args: Any) -> None:
        watchlist = self.selected()
        if watchlist is not None:
            order = [self.symbols.item(i).text() for i in range(self.symbols.count())]
            self.picker.reorder_list(watchlist.id, order)

    def _new(self) -> None:
        if self.name.text().strip():
            self.picker.create_list(self.name.text())

    def _rename(self) -> None:
        watchlist = self.selected()
        if watchlist is not None and self.name.text().strip():
            self.picker.rename_list(watchlist.id, self.name.text())

    def _delete(self) -> None:
        watchlist = self.selected()
        if watchlist is not None and not watchlist.builtin:
            self.picker.delete_list(watchlist.id)
