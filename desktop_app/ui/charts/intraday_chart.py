"""Intraday candles (1, 5, 15 or 30 minutes) or the tick line, and volume by trade type, for one
Vietnam trading day.

x is market time (``market_x``): the 11:30-13:00 lunch break is cut out, so the morning and the
afternoon sessions meet at a dotted seam. Candles and the volume under them are binned from the
matched prints in numpy (open = first, close = last print of the bin); the tick line is every
matched print as a step line (the last price holds until the next print), so a one-tick bounce
draws as steps, not as diagonal hatching. The day's reference, ceiling and floor are dashed
lines, the last price a tag at the right edge. Put-through deals are negotiated off the order book
at any price inside the band, so, as on a Vietnamese board, they are left out of the price and
the volume and only counted in the status line (the legend's tooltip says so). For today the
chart keeps growing from the pipeline's live prints, appended in coalesced batches (``append``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Callable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QMenu, QToolButton, QWidget, QWidgetAction

from desktop_app.domain import ClassifiedTrade, StoredAlert, TradeType
from desktop_app.market_clock import LUNCH_END, LUNCH_START, VIETNAM_TZ, at_vietnam_time
from desktop_app.market_rules import hose_tick
from desktop_app.order_flow import DEFAULT_BIG_TRADE_MIN_VALUE, BigTrade, FlowBar, VolumeProfile
from desktop_app.processing.order_flow import SymbolDayFlow
from desktop_app.ui import board_format
from desktop_app.ui.alert_text import localized_message
from desktop_app.ui.charts.axes import MarketTimeAxis, epoch_of_market_x, market_x
from desktop_app.ui.charts.items import CandlestickItem, OhlcArrays, StackedBarItem
from desktop_app.ui.charts.order_flow_items import BigPrintBubbles, CvdCurve, VolumeProfileItem, VwapLine
from desktop_app.ui.charts.panel import ChartLine, ChartPanel, break_gaps, sample_at
from desktop_app.ui.charts.price_volume import PriceVolumePlots

# stack order and colours of the volume bars; index = type code
TYPE_CODES: dict[TradeType, int] = {
    TradeType.BUY: 0,
    TradeType.SELL: 1,
    TradeType.NEUTRAL: 2,
    TradeType.ATO: 3,
    TradeType.ATC: 3,
    TradeType.PUT_THROUGH: 4,
}
PUT_THROUGH_CODE = 4
TYPE_LABELS = (QT_TRANSLATE_NOOP("ChartReadout", "Active buy"), QT_TRANSLATE_NOOP("ChartReadout", "Active sell"),
               QT_TRANSLATE_NOOP("ChartReadout", "Neutral"),
               QT_TRANSLATE_NOOP("ChartReadout", "Auction (ATO/ATC)"))  # stacks drawn
LEGEND_LABELS = (QT_TRANSLATE_NOOP("IntradayChart", "Buy"), QT_TRANSLATE_NOOP("IntradayChart", "Sell"), QT_TRANSLATE_NOOP("IntradayChart", "Neutral"), QT_TRANSLATE_NOOP("IntradayChart", "ATO/ATC"))  # the same, short enough for the header
TYPE_COLORS = (
    board_format.UP_COLOR,
    board_format.DOWN_COLOR,
    board_format.NEUTRAL_COLOR,
    board_format.AUCTION_COLOR,
)
MINUTE = 60.0
# what the chart header offers: the bin in seconds, 0 for the tick line
INTERVALS: tuple[tuple[str, int], ...] = (("1 min", 60), ("5 min", 300), ("15 min", 900),
                                          ("30 min", 1800), ("Tick", 0))
DEFAULT_INTERVAL_S = 60
# the header's Flow menu: (key, label, tooltip, on at start)
OVERLAYS: tuple[tuple[str, str, str, bool], ...] = (
    ("cvd", QT_TRANSLATE_NOOP("IntradayChart", "CVD pane"),
     QT_TRANSLATE_NOOP("IntradayChart", "Cumulative volume delta (active buy − active sell volume, auctions and "
     "put-throughs left out) per minute, from the day's first print"), True),
    ("vwap", QT_TRANSLATE_NOOP("IntradayChart", "VWAP"),
     QT_TRANSLATE_NOOP("IntradayChart", "Session VWAP: Σ price × volume / Σ volume of every print but put-throughs"), True),
    ("profile", QT_TRANSLATE_NOOP("IntradayChart", "Volume at price"),
     QT_TRANSLATE_NOOP("IntradayChart", "The day's volume at each price on the right edge: buy, sell, "
     "neutral + auction; the line is the POC, the band the 70 % value area"), False),
    ("big", QT_TRANSLATE_NOOP("IntradayChart", "Big prints"),
     QT_TRANSLATE_NOOP("IntradayChart", "Prints worth at least the big-print threshold (auctions left out), "
     "area by value"), False),
)
FLOW_BAR_S = 60.0  # the overlays are 1-minute figures whatever the candle interval
BILLION = 1_000_000_000
PUT_THROUGH_NOTE = QT_TRANSLATE_NOOP("ChartReadout", "Put-through deals are negotiated off the order book, not "
                                     "matched: they are counted in the status line but not drawn in the price or "
                                     "the volume.")


def put_through_note() -> str:
    """The note on put-through deals in the UI's language."""
    return QCoreApplication.translate("ChartReadout", PUT_THROUGH_NOTE)


@dataclass(frozen=True, slots=True)
class TradeColumns:
    """One symbol-day of prints as columns: epoch seconds, price (VND), volume, type code."""

    ts: np.ndarray
    price: np.ndarray
    volume: np.ndarray
    type_code: np.ndarray

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    @classmethod
    def empty(cls) -> "TradeColumns":
        return cls(np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int8))

    @classmethod
    def from_trades(cls, trades: Sequence[ClassifiedTrade]) -> "TradeColumns":
        n = len(trades)
        return cls(
            ts=np.fromiter((t.timestamp.timestamp() for t in trades), dtype=np.float64, count=n),
            price=np.fromiter((float(t.price) for t in trades), dtype=np.float64, count=n),
            volume=np.fromiter((t.volume for t in trades), dtype=np.float64, count=n),
            type_code=np.fromiter((TYPE_CODES[t.trade_type] for t in trades), dtype=np.int8, count=n),
        )

    def matched(self) -> "TradeColumns":
        """Without put-through deals."""
        keep = self.type_code != PUT_THROUGH_CODE
        if keep.all():
            return self
        return TradeColumns(self.ts[keep], self.price[keep], self.volume[keep], self.type_code[keep])

    def concat(self, other: "TradeColumns") -> "TradeColumns":
        merged = TradeColumns(
            np.concatenate([self.ts, other.ts]),
            np.concatenate([self.price, other.price]),
            np.concatenate([self.volume, other.volume]),
            np.concatenate([self.type_code, other.type_code]),
        )
        if len(self) and len(other) and other.ts[0] < self.ts[-1]:
            order = np.argsort(merged.ts, kind="stable")
            merged = TradeColumns(merged.ts[order], merged.price[order], merged.volume[order],
                                  merged.type_code[order])
        return merged


def snap_to_tick(price_vnd: float) -> Decimal:
    """The HOSE grid price nearest ``price_vnd`` (a price alert's threshold)."""
    tick = hose_tick(int(max(price_vnd, 0)))
    return Decimal(int(round(price_vnd / tick)) * tick)


def volume_key_tooltip() -> str:
    labels = ", ".join(QCoreApplication.translate("ChartReadout", label) for label in TYPE_LABELS)
    return QCoreApplication.translate("ChartReadout", "Volume by trade type: {labels}. {note}").format(
        labels=labels, note=put_through_note())


def volume_split(by_type: np.ndarray) -> str:
    """'buy 1,200 sell 800' and the neutral / auction parts when there are any (read-outs stay short)."""
    v = board_format.volume
    text = QCoreApplication.translate("ChartReadout", "buy {buy} sell {sell}").format(
        buy=v(by_type[0]), sell=v(by_type[1]))
    for template, amount in ((QT_TRANSLATE_NOOP("ChartReadout", " neutral {volume}"), by_type[2]),
                             (QT_TRANSLATE_NOOP("ChartReadout", " auction {volume}"), by_type[3])):
        if amount:
            text += QCoreApplication.translate("ChartReadout", template).format(volume=v(amount))
    return text


@dataclass(frozen=True, slots=True)
class Candles:
    """Matched prints binned by ``bucket_s`` (bins start at whole multiples in Vietnam time):
    epoch second of each bin's start, OHLC in VND, volume split by type code."""

    start: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    by_type: np.ndarray  # shape (len(TYPE_LABELS), len(start))
    bucket_s: float = MINUTE

    def __len__(self) -> int:
        return int(self.start.shape[0])

    @classmethod
    def from_columns(cls, cols: TradeColumns, bucket_s: float = MINUTE) -> "Candles":
        """Order-book prints only (put-through excluded); ``cols`` in time order."""
        cols = cols.matched()
        if not len(cols):
            z = np.zeros(0)
            return cls(z, z, z, z, z, np.zeros((len(TYPE_LABELS), 0)), bucket_s)
        bins = np.floor(cols.ts / bucket_s) * bucket_s  # UTC+7 is whole hours: bins align in Vietnam time
        start, first = np.unique(bins, return_index=True)
        last = np.r_[first[1:], len(bins)] - 1
        by_type = np.zeros((len(TYPE_LABELS), len(start)))
        np.add.at(by_type, (cols.type_code.astype(np.int64), np.searchsorted(start, bins)), cols.volume)
        return cls(
            start=start, open=cols.price[first], close=cols.price[last],
            high=np.maximum.reduceat(cols.price, first), low=np.minimum.reduceat(cols.price, first),
            by_type=by_type, bucket_s=bucket_s,
        )

    def index_at(self, epoch_s: float) -> int:
        """The bin holding ``epoch_s``, else the last one before it (-1: none)."""
        return sample_at(self.start, epoch_s)


def _flow_columns(bars: Sequence[FlowBar]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(bar start epoch s, CVD, VWAP in VND or NaN) of flow bars."""
    return (np.array([b.time.timestamp() for b in bars], dtype=np.float64),
            np.array([b.cvd for b in bars], dtype=np.float64),
            np.array([np.nan if b.vwap is None else float(b.vwap) for b in bars], dtype=np.float64))


class IntradayChart(ChartPanel):
    priceAlertRequested = Signal(object, object)  # threshold (Decimal VND), last price (float VND or None)
    bigTradeMinChanged = Signal(object)  # Decimal VND

    def __init__(self, parent=None) -> None:
        super().__init__(QCoreApplication.translate("IntradayChart", "Intraday"), parent)
        self.axis = MarketTimeAxis()
        self.panes = PriceVolumePlots(self, self.axis, MarketTimeAxis(),
                                      QCoreApplication.translate("IntradayChart", "Vol/{n}m").format(n=1), self._readout,
                                      lower_axis=MarketTimeAxis(), lower_label="CVD")
        self.price_plot = self.panes.price_plot
        self.volume_plot = self.panes.volume_plot
        self.crosshair = self.panes.crosshair
        self.interval_combo = QComboBox()
        self.interval_combo.setToolTip(self.tr("Candle interval, or every print as a step line (Tick)"))
        for label, _seconds in INTERVALS:
            self.interval_combo.addItem(self.tr("Tick") if label == "Tick" else self.tr("{n} min").format(n=label.split()[0]))
        self.interval_s = DEFAULT_INTERVAL_S
        self.interval_combo.setCurrentIndex([s for _l, s in INTERVALS].index(DEFAULT_INTERVAL_S))
        self.interval_combo.currentIndexChanged.connect(self._interval_chosen)
        self.controls.addWidget(self.interval_combo)
        self.candles = CandlestickItem()
        self.price_plot.addItem(self.candles)
        self.price_line = pg.PlotDataItem(pen=pg.mkPen("#e8e8e8", width=1), connect="finite", stepMode="left")
        self.price_line.setClipToView(True)
        self.price_line.setDownsampling(auto=True, method="peak")
        self.price_line.setVisible(False)
        self.price_plot.addItem(self.price_line)
        self.ref_line = self.panes.levels["ref"]
        self.seams = [ChartLine(angle=90, movable=False,
                                      pen=pg.mkPen("#606870", width=1, style=Qt.PenStyle.DotLine))
                      for _ in range(2)]
        for plot, seam in zip((self.price_plot, self.volume_plot), self.seams):
            seam.setVisible(False)
            seam.setToolTip(self.tr("Lunch break 11:30–13:00 (left out)"))
            plot.addItem(seam, ignoreBounds=True)
        self.volume_bars = StackedBarItem(list(TYPE_COLORS), MINUTE * 0.8)
        self.volume_plot.addItem(self.volume_bars)
        self.add_legend([(QCoreApplication.translate("IntradayChart", label), c.name())
                         for label, c in zip(LEGEND_LABELS, TYPE_COLORS)],
                        tooltip=volume_key_tooltip())
        self.status_label.hint = put_through_note()
        self.markers: pg.ScatterPlotItem | None = None
        self.columns = TradeColumns.empty()
        self._matched = self.columns  # order-book prints only, and their market-time x (cached)
        self._matched_x = np.zeros(0)
        self.bars = Candles.from_columns(self.columns, self.interval_s)
        self._levels: tuple[float | None, float | None, float | None] = (None, None, None)
        self._build_flow_overlays()
        self._build_price_menu()

    # ------------------------------------------------------------------ order-flow overlays
    def _build_flow_overlays(self) -> None:
        self.cvd_plot = self.panes.lower_plot
        assert self.cvd_plot is not None
        self.cvd = CvdCurve()
        self.cvd_plot.addItem(self.cvd)
        self.vwap = VwapLine()
        self.price_plot.addItem(self.vwap)
        self.profile = VolumeProfileItem()
        self.price_plot.addItem(self.profile, ignoreBounds=True)  # it follows the view: no feedback
        self.profile.follow_right_edge(self.price_plot.getViewBox())
        self.bubbles = BigPrintBubbles()
        self.bubbles.setZValue(10)
        # a put-through may print far from the market: it must not stretch the price axis
        self.price_plot.addItem(self.bubbles, ignoreBounds=True)
        self.big_trade_min_value = DEFAULT_BIG_TRADE_MIN_VALUE
        self._big_trades: tuple[BigTrade, ...] = ()
        self.flow_button = QToolButton()
        self.flow_button.setText(self.tr("Flow"))
        self.flow_button.setToolTip(self.tr("Order-flow overlays and the big-print threshold"))
        self.flow_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.flow_menu = QMenu(self.flow_button)
        self.overlay_actions: dict[str, QAction] = {}
        for key, label, tip, on in OVERLAYS:
            action = self.flow_menu.addAction(QCoreApplication.translate("IntradayChart", label))
            action.setCheckable(True)
            action.setChecked(on)
            action.setToolTip(QCoreApplication.translate("IntradayChart", tip))
            action.toggled.connect(lambda shown, k=key: self.show_overlay(k, shown))
            self.overlay_actions[key] = action
        self.flow_menu.setToolTipsVisible(True)
        self.flow_menu.addSeparator()
        self.big_spin = QDoubleSpinBox()
        self.big_spin.setDecimals(1)
        self.big_spin.setRange(0.1, 1000.0)
        self.big_spin.setSingleStep(0.5)
        self.big_spin.setSuffix(self.tr(" bn VND"))
        self.big_spin.setToolTip(self.tr("Smallest print drawn as a bubble (the default is Settings' big-print "
                                         "threshold; today's live book keeps prints from that threshold up)"))
        self.big_spin.setValue(float(self.big_trade_min_value) / BILLION)
        self.big_spin.valueChanged.connect(self._big_spin_changed)
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(8, 2, 8, 2)
        box.addWidget(QLabel(self.tr("Big print ≥")))
        box.addWidget(self.big_spin)
        spin_action = QWidgetAction(self.flow_menu)
        spin_action.setDefaultWidget(row)
        self.flow_menu.addAction(spin_action)
        self.flow_button.setMenu(self.flow_menu)
        self.controls.addWidget(self.flow_button)
        self.cvd_plot.setLabel("left", "CVD", units="sh")
        seam = ChartLine(angle=90, movable=False, pen=self.seams[0].pen)
        seam.setVisible(False)
        seam.setToolTip(self.seams[0].toolTip())
        self.cvd_plot.addItem(seam, ignoreBounds=True)
        self.seams.append(seam)
        self.price_plot.getAxis("bottom").setStyle(showValues=False)
        self.volume_plot.getAxis("bottom").setStyle(showValues=False)  # the CVD pane shows the times
        for key, _label, _tip, on in OVERLAYS:
            if not on:  # the menu's initial state, applied (a toggle only fires on a change)
                self.show_overlay(key, False)

    def matched_volume(self) -> int:
        """Volume of the order-book prints on screen (put-throughs left out, auctions in)."""
        return int(self._matched.volume.sum())

    def overlay_shown(self, key: str) -> bool:
        return self.overlay_actions[key].isChecked()

    def set_overlay(self, key: str, shown: bool) -> None:
        """Turn an overlay on or off as the Flow menu does."""
        self.overlay_actions[key].setChecked(shown)  # -> show_overlay

    def show_overlay(self, key: str, shown: bool) -> None:
        if key == "cvd":
            layout = self.layout_widget.ci
            in_layout = self.cvd_plot in layout.items
            if shown and not in_layout:
                layout.addItem(self.cvd_plot, row=2, col=0)
                layout.layout.setRowStretchFactor(2, 1)
            elif not shown and in_layout:
                layout.removeItem(self.cvd_plot)
            self.volume_plot.getAxis("bottom").setStyle(showValues=not shown)
            return
        item = {"vwap": self.vwap, "profile": self.profile, "big": self.bubbles}[key]
        item.setVisible(shown)

    def set_big_trade_min_value(self, value: Decimal) -> None:
        """The big-print threshold in VND (Settings' value, or the one typed in the Flow menu)."""
        self.big_spin.setValue(float(value) / BILLION)  # -> _big_spin_changed

    def _big_spin_changed(self, billions: float) -> None:
        value = Decimal(str(billions)) * BILLION
        if value == self.big_trade_min_value:
            return
        self.big_trade_min_value = value
        self._draw_big(self._big_trades)
        self.bigTradeMinChanged.emit(value)

    def clear_order_flow(self) -> None:
        self.set_flow_bars([], VolumeProfile((), None, None, None), ())

    def set_order_flow(self, start: np.ndarray, cvd: np.ndarray, vwap: np.ndarray, profile: VolumeProfile,
                       big_trades: Sequence[BigTrade]) -> None:
        """A day's 1-minute order flow: bar starts (epoch s), CVD and VWAP (VND, NaN for none)."""
        x = market_x(np.asarray(start, dtype=np.float64))
        self.cvd.set_bars(x, cvd, FLOW_BAR_S)
        self.vwap.set_bars(x, np.asarray(vwap, dtype=np.float64) / 1000.0, FLOW_BAR_S)
        self._draw_profile(profile)
        self._big_trades = tuple(big_trades)
        self._draw_big(self._big_trades)

    def set_flow_bars(self, bars: Sequence[FlowBar], profile: VolumeProfile, big_trades: Sequence[BigTrade]) -> None:
        start, cvd, vwap = _flow_columns(bars)
        self.set_order_flow(start, cvd, vwap, profile, big_trades)

    def show_live_flow(self, flow: SymbolDayFlow) -> None:
        """Today's figures from the live book: the bars from the last one drawn (still filling)
        on replace it and extend the curves; the earlier bars stay as drawn."""
        bars = flow.bars()
        first = max(len(self.cvd.ys) - 1, 0)
        drawn_x = self.cvd.xs
        if first and (len(bars) <= first or market_x(bars[first].time.timestamp()) != drawn_x[first]):
            first = 0  # not a continuation of what is drawn (a new day): draw all
        start, cvd, vwap = _flow_columns(bars[first:])
        x = market_x(start)
        self.cvd.update_bars(x, cvd, FLOW_BAR_S, first)
        self.vwap.update_bars(x, vwap / 1000.0, FLOW_BAR_S, first)
        self._draw_profile(flow.profile())
        self._big_trades = tuple(flow.big_trades())
        self._draw_big(self._big_trades)

    def _draw_profile(self, profile: VolumeProfile) -> None:
        levels = profile.levels
        k = 1000.0  # the price pane is in thousands of VND

        def col(pick: Callable[..., float]) -> np.ndarray:
            return np.array([pick(lv) for lv in levels], dtype=np.float64)

        self.profile.set_levels(
            col(lambda lv: float(lv.price) / k), col(lambda lv: lv.buy_volume), col(lambda lv: lv.sell_volume),
            col(lambda lv: lv.neutral_volume + lv.auction_volume),
            None if profile.poc is None else float(profile.poc) / k,
            None if profile.value_area_low is None or profile.value_area_high is None
            else (float(profile.value_area_low) / k, float(profile.value_area_high) / k),
        )

    def _draw_big(self, trades: Sequence[BigTrade]) -> None:
        shown = [t for t in trades if t.value >= self.big_trade_min_value]
        self.bubbles.min_value = float(self.big_trade_min_value)
        self.bubbles.set_prints(market_x(np.array([t.time.timestamp() for t in shown], dtype=np.float64)),
                                np.array([float(t.price) / 1000.0 for t in shown]),
                                np.array([float(t.value) for t in shown]), [t.trade_type for t in shown])

    # ------------------------------------------------------------------ price alert from the chart
    def _build_price_menu(self) -> None:
        """"Alert when price crosses …" first in the price pane's right-click menu."""
        vb = self.price_plot.getViewBox()
        self.context_price: Decimal | None = None
        self.alert_action = QAction(self.tr("Alert when price crosses…"), self)
        self.alert_action.triggered.connect(self._alert_chosen)
        vb.menu.insertAction(vb.menu.actions()[0] if vb.menu.actions() else None, self.alert_action)
        vb.menu.insertSeparator(vb.menu.actions()[1])
        menu_of = vb.getMenu

        def price_menu(ev: object) -> QMenu:
            self.set_context_price(vb.mapSceneToView(ev.scenePos()).y() * 1000.0)  # type: ignore[attr-defined]
            return menu_of(ev)

        vb.getMenu = price_menu  # the view box asks for its menu with the click's position

    def set_context_price(self, price_vnd: float) -> None:
        self.context_price = snap_to_tick(price_vnd) if price_vnd > 0 else None
        self.alert_action.setEnabled(self.context_price is not None)
        self.alert_action.setText(self.tr("Alert when price crosses…") if self.context_price is None else
                                  self.tr("Alert when price crosses {price}…").format(
                                      price=board_format.price_thousands(self.context_price)))

    def _alert_chosen(self) -> None:
        if self.context_price is not None:
            last = float(self._matched.price[-1]) if len(self._matched) else None
            self.priceAlertRequested.emit(self.context_price, last)

    # ------------------------------------------------------------------ data
    def set_columns(self, cols: TradeColumns, ref_price: float | None = None) -> None:
        self.reset_crosshair()
        self.columns = cols
        self._matched = cols.matched()
        self._matched_x = market_x(self._matched.ts)
        self._redraw()
        self.set_levels(ref_price, None, None)
        self.reset_zoom()
        self.set_status(self._describe() if len(cols) else "No trades stored for this day")
        self.loaded.emit()

    def append(self, cols: TradeColumns) -> None:
        """Live prints for the day on screen (already filtered to this symbol). Prints after the
        last one (the usual case) extend the cached columns; a late one re-sorts them."""
        if not len(cols):
            return
        in_order = not len(self.columns) or cols.ts[0] >= self.columns.ts[-1]
        self.columns = self.columns.concat(cols)
        new = cols.matched()
        if in_order:
            self._matched = self._matched.concat(new)
            self._matched_x = np.concatenate([self._matched_x, market_x(new.ts)])
        else:
            self._matched = self.columns.matched()
            self._matched_x = market_x(self._matched.ts)
        self._redraw()
        self.set_status(self._describe() + " " + self.tr("(live)"))

    def set_levels(self, ref: float | None, ceiling: float | None, floor: float | None) -> None:
        """The day's reference, ceiling and floor in VND (None: unknown, not drawn)."""
        self._levels = (ref, ceiling, floor)
        self.panes.set_levels(*(None if v is None else v / 1000.0 for v in self._levels))
        self._tag_last()

    def set_interval(self, seconds: int) -> None:
        """Candles of ``seconds`` (one of ``INTERVALS``), or 0 for the tick line."""
        index = [s for _label, s in INTERVALS].index(seconds)
        self.interval_combo.setCurrentIndex(index)  # -> _interval_chosen

    def _interval_chosen(self, index: int) -> None:
        self.interval_s = INTERVALS[index][1]
        self.reset_crosshair()
        self._redraw()

    def _redraw(self) -> None:
        matched, x = self._matched, self._matched_x
        tick = self.interval_s == 0
        self.price_line.setData(*break_gaps(x, matched.price / 1000.0))
        self.price_line.setVisible(tick)
        self.bars = Candles.from_columns(matched, self.interval_s or MINUTE)
        bx = market_x(self.bars.start)
        self.candles.set_data(OhlcArrays(bx + self.bars.bucket_s / 2, self.bars.open / 1000.0,
                                         self.bars.high / 1000.0, self.bars.low / 1000.0,
                                         self.bars.close / 1000.0))
        self.candles.setVisible(not tick)
        self.volume_bars.set_data(bx + self.bars.bucket_s / 2, list(self.bars.by_type),
                                  bar_width=self.bars.bucket_s * 0.8)
        label = self.tr("Vol/{n}m").format(n=int(self.bars.bucket_s // 60))  # short: the pane is small on a laptop
        if self.volume_plot.getAxis("left").labelText != label:
            self.volume_plot.setLabel("left", label, units="sh")
        self._place_seam(matched.ts)
        self._tag_last()

    def _place_seam(self, ts: np.ndarray) -> None:
        """A dotted line where the morning meets the afternoon (both sessions on screen)."""
        if not len(ts):
            for seam in self.seams:
                seam.setVisible(False)
            return
        day = datetime.fromtimestamp(float(ts[0]), VIETNAM_TZ).date()
        lunch_start = at_vietnam_time(day, LUNCH_START).timestamp()
        lunch_end = at_vietnam_time(day, LUNCH_END).timestamp()
        seam_x = market_x(lunch_end)  # 13:00 sits at the 11:30 seam
        both = bool(ts[0] < lunch_start and ts[-1] >= lunch_end)
        for seam in self.seams:
            if seam.value() != seam_x:
                seam.setPos(seam_x)
            if seam.isVisible() != both:
                seam.setVisible(both)

    def _tag_last(self) -> None:
        matched = self._matched
        ref = self._levels[0]
        self.panes.set_last(float(matched.price[-1]) / 1000.0 if len(matched) else None,
                            None if ref is None else ref / 1000.0)

    def _describe(self) -> str:
        pt = self.columns.type_code == PUT_THROUGH_CODE
        n = int((~pt).sum())
        text = (self.tr("{n} print") if n == 1 else self.tr("{n} prints")).format(n=f"{n:,}")
        if pt.any():
            text += " · " + self.tr("put-through {volume} sh").format(volume=board_format.volume(self.columns.volume[pt].sum()))
        return text

    def set_alerts(self, alerts: Sequence[StoredAlert]) -> None:
        cols = self._matched
        xs, ys, tips = [], [], []
        for alert in alerts if len(cols) else ():
            t = alert.created_at.timestamp()
            i = max(0, sample_at(cols.ts, t))
            xs.append(market_x(t))
            ys.append(float(cols.price[i]) / 1000.0)
            message = localized_message(alert.alert_type, alert.message or alert.alert_type)
            tips.append(f"{board_format.vietnam_time(alert.created_at)} {message}")
        self.panes.set_markers(xs, ys, tips)
        self.markers = self.panes.markers

    def show_time(self, epoch_s: float, span_s: float = 1800.0) -> None:
        x = market_x(epoch_s)
        self.price_plot.setXRange(x - span_s / 2, x + span_s / 2, padding=0)

    def _readout(self, x: float, y: float) -> str:
        text = self._price_readout(x)
        return text + self._flow_readout(x) if text else text

    def _flow_readout(self, x: float) -> str:
        """'  CVD 1,200  VWAP 25.03' for the minute under the cursor (what is shown of them)."""
        parts = []
        for key, curve, fmt in (("cvd", self.cvd, board_format.volume),
                                ("vwap", self.vwap, lambda v: board_format.price_thousands(v * 1000))):
            xs, ys = curve.xs, curve.ys
            i = int(np.searchsorted(xs, x, side="right")) - 1
            if self.overlay_shown(key) and 0 <= i < len(ys) and not np.isnan(ys[i]):
                parts.append(f"{key.upper()} {fmt(ys[i])}")
        return "  " + "  ".join(parts) if parts else ""

    def _price_readout(self, x: float) -> str:
        t = epoch_of_market_x(x)
        p, v = board_format.price_thousands, board_format.volume
        if self.interval_s:
            i = self.bars.index_at(t)
            if i < 0:
                return ""
            b, when = self.bars.by_type[:, i], datetime.fromtimestamp(self.bars.start[i], timezone.utc)
            return QCoreApplication.translate(
                "ChartReadout", "{time}  O {open}  H {high}  L {low}  C {close}  {volumes}").format(
                time=board_format.vietnam_time(when)[:5], open=p(self.bars.open[i]), high=p(self.bars.high[i]),
                low=p(self.bars.low[i]), close=p(self.bars.close[i]), volumes=volume_split(b))
        cols = self._matched
        i = sample_at(cols.ts, t)
        if i < 0:
            return ""
        when = datetime.fromtimestamp(cols.ts[i], timezone.utc)
        text = QCoreApplication.translate("ChartReadout", "{time}  last {price}  vol {volume}").format(
            time=board_format.vietnam_time(when), price=p(cols.price[i]), volume=v(cols.volume[i]))
        m = self.bars.index_at(t)
        if m >= 0 and t < self.bars.start[m] + self.bars.bucket_s:
            b = self.bars.by_type[:, m]
            text += QCoreApplication.translate("ChartReadout", "  min vol buy {buy} sell {sell}").format(
                buy=v(b[0]), sell=v(b[1]))
        return text

