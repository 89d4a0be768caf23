"""Chart axes that read in Vietnam time, whatever the computer's time zone (UTC+7 all year).

``MarketTimeAxis`` reads x in market seconds: epoch seconds with the 11:30-13:00 lunch break cut
out (``market_x``), so a trading day draws without an empty stretch at noon. ``TradingDayAxis`` labels a daily chart whose x is the bar index
(so non-trading days leave no gaps) with the date of each index; ``BarTimeAxis`` does the same for
intraday bars over several days.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFont, QFontMetrics

from desktop_app.market_clock import LUNCH_END, LUNCH_START, VIETNAM_TZ

_UTC_PLUS_7_S = int(VIETNAM_TZ.utcoffset(None).total_seconds())
_DAY_S = 86400
_LUNCH_START_S = LUNCH_START.hour * 3600 + LUNCH_START.minute * 60  # seconds into the Vietnam day
_LUNCH_END_S = LUNCH_END.hour * 3600 + LUNCH_END.minute * 60
LUNCH_S = _LUNCH_END_S - _LUNCH_START_S


def market_x(epoch_s):  # ndarray | float -> same
    """Epoch seconds -> market seconds: afternoon times move back by the lunch break, and a time
    inside the break sits at its seam. Strictly increasing outside the break, so bars and prints
    keep their order and spacing; ``epoch_of_market_x`` inverts it."""
    t = np.asarray(epoch_s, dtype=np.float64)
    sod = np.mod(t + _UTC_PLUS_7_S, _DAY_S)
    out = np.where(sod >= _LUNCH_END_S, t - LUNCH_S,
                   np.where(sod > _LUNCH_START_S, t - (sod - _LUNCH_START_S), t))
    return float(out) if out.ndim == 0 else out


def epoch_of_market_x(x):  # ndarray | float -> same
    """Market seconds -> epoch seconds (a time at the seam reads as the break's end, 13:00)."""
    v = np.asarray(x, dtype=np.float64)
    sod = np.mod(v + _UTC_PLUS_7_S, _DAY_S)
    out = np.where((sod >= _LUNCH_START_S) & (sod < _DAY_S - LUNCH_S), v + LUNCH_S, v)
    return float(out) if out.ndim == 0 else out


def pick_ticks(candidates: list[np.ndarray], max_ticks: int, room: float
               ) -> tuple[int, np.ndarray, int, np.ndarray]:
    """Ticks for an index axis from nested levels of candidate indices (coarse to fine: years,
    months, ... or days, hours, ...): the finest level that fits ``max_ticks`` is the major one; the
    next finer level fills the gaps where a label has ``room`` (in index units) from every other.
    Returns (major level, major indices, minor level, minor indices)."""
    chosen = None
    for k, starts in enumerate(candidates):
        if len(starts) <= max_ticks and (len(starts) or chosen is None):
            chosen = k
    if chosen is None or not len(candidates[chosen]):  # even the coarsest non-empty level is too dense
        k = next((k for k, starts in enumerate(candidates) if len(starts)), len(candidates) - 1)
        step = max(1, int(np.ceil(len(candidates[k]) / max_ticks)))
        return k, candidates[k][::-1][::step][::-1], k, np.zeros(0, dtype=np.int64)  # keep the latest
    major = candidates[chosen]
    taken: list[int] = []
    if chosen + 1 < len(candidates) and len(major) < max_ticks:
        for i in candidates[chosen + 1]:  # greedy: a finer tick where it does not crowd a label
            if np.all(np.abs(major - i) >= room) and (not taken or i - taken[-1] >= room):
                taken.append(int(i))
    return chosen, major, min(chosen + 1, len(candidates) - 1), np.asarray(taken, dtype=np.int64)


def _index_room(min_val: float, max_val: float, size: float, label_px: float) -> float:
    """Index units a label of ``label_px`` pixels needs at this zoom."""
    return label_px * max(float(max_val - min_val), 1e-9) / size


class MarketTimeAxis(pg.AxisItem):
    """x = market seconds (``market_x``), labelled HH:MM (HH:MM:SS when zoomed to seconds) in
    Vietnam time. The spacing is the finest round step that leaves room for each label, so a
    zoom to a few minutes still reads its times; the lunch seam reads 13:00."""

    _MIN_LABEL_PX = 48
    _STEPS_S = (1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 4 * 3600, 8 * 3600, _DAY_S)

    def __init__(self, orientation: str = "bottom", **kwargs) -> None:
        super().__init__(orientation=orientation, **kwargs)
        self._step = 60

    def tickValues(self, minVal, maxVal, size):  # noqa: N802 (pyqtgraph API)
        if size <= 0 or not np.isfinite(minVal) or not np.isfinite(maxVal) or maxVal <= minVal:
            return []
        max_ticks = max(2, int(size / self._MIN_LABEL_PX))
        first, last = epoch_of_market_x(float(minVal)), epoch_of_market_x(float(maxVal))
        span = max(1.0, float(maxVal - minVal))  # market seconds: what the pixels show
        step = next((s for s in self._STEPS_S if span / s <= max_ticks), self._STEPS_S[-1])
        self._step = step
        start = np.ceil((first + _UTC_PLUS_7_S) / step) * step - _UTC_PLUS_7_S
        epochs = np.arange(start, last + 1e-6, step)
        if len(epochs) > 4 * max_ticks + 1000:  # a range of years on a seconds step: not a chart
            return []
        sod = np.mod(epochs + _UTC_PLUS_7_S, _DAY_S)
        epochs = epochs[(sod < _LUNCH_START_S) | (sod >= _LUNCH_END_S)]  # the seam reads 13:00
        xs = market_x(epochs) if len(epochs) else epochs
        return [(float(step), [float(v) for v in np.atleast_1d(xs) if minVal <= v <= maxVal])]

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph API)
        fmt = "%H:%M:%S" if self._step < 60 else "%H:%M"
        out = []
        for v in values:
            local = np.datetime64(int(round(epoch_of_market_x(float(v)))) + _UTC_PLUS_7_S, "s").astype(object)
            out.append(local.strftime(fmt))
        return out


class TradingDayAxis(pg.AxisItem):
    """x = bar index into ``dates``; ticks at year / month / week starts depending on the zoom."""

    _MIN_LABEL_PX = 70

    def __init__(self, orientation: str = "bottom", **kwargs) -> None:
        super().__init__(orientation=orientation, **kwargs)
        self._dates: list[date] = []
        self._years = np.zeros(0, dtype=np.int32)
        self._months = np.zeros(0, dtype=np.int32)
        self._weeks = np.zeros(0, dtype=np.int64)

    def set_dates(self, dates: list[date]) -> None:
        self._dates = list(dates)
        self._years = np.fromiter((d.year for d in self._dates), dtype=np.int32, count=len(self._dates))
        self._months = np.fromiter(
            (d.year * 12 + d.month for d in self._dates), dtype=np.int32, count=len(self._dates)
        )
        self._weeks = np.fromiter(
            (d.toordinal() // 7 for d in self._dates), dtype=np.int64, count=len(self._dates)
        )
        self.picture = None
        self.update()

    def date_at(self, index: float) -> date | None:
        i = int(round(index))
        if 0 <= i < len(self._dates):
            return self._dates[i]
        return None

    _LEVELS = ("year", "month", "week", "day")

    def tickValues(self, minVal, maxVal, size):  # noqa: N802 (pyqtgraph API)
        n = len(self._dates)
        if n == 0 or size <= 0:
            return []
        lo = max(0, int(np.floor(minVal)))
        hi = min(n - 1, int(np.ceil(maxVal)))
        if hi < lo:
            return []
        room = _index_room(minVal, maxVal, size, self._MIN_LABEL_PX)
        max_ticks = max(1, int((hi - lo + 1) / room))  # the labels the data's visible part has room for
        candidates: list[np.ndarray] = []
        for keys in (self._years, self._months, self._weeks):
            window = keys[lo : hi + 1]
            candidates.append(np.flatnonzero(np.diff(window)) + 1 + lo)
        candidates.append(np.arange(lo, hi + 1))
        chosen, major, finer, minor = pick_ticks(candidates, max_ticks, room)
        self._level, self._minor_level = self._LEVELS[chosen], self._LEVELS[finer]
        levels = [(float(hi - lo + 1), [float(i) for i in major])]
        self._minor_spacing = -1.0
        if len(minor):
            self._minor_spacing = float(hi - lo + 1) / 2.0
            levels.append((self._minor_spacing, [float(i) for i in minor]))
        return levels

    _level = "day"
    _minor_level = "day"
    _minor_spacing = -1.0

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph API)
        """Every label is a date: a year, a month and year, or a day and month."""
        out: list[str] = []
        level = self._minor_level if spacing == self._minor_spacing else self._level
        for v in values:
            d = self.date_at(v)
            if d is None:
                out.append("")
            elif level == "year":
                out.append(d.strftime("%Y"))
            elif level == "month":
                out.append(d.strftime("%b %Y") if d.month == 1 or self.date_at(values[0]) == d else d.strftime("%b"))
            else:
                out.append(d.strftime("%d/%m"))
        return out


class BarTimeAxis(pg.AxisItem):
    """x = bar index into ``starts`` (epoch seconds of each bar, Vietnam time on the labels).

    Intraday bars over weeks or months: nights, weekends and the lunch break leave no gaps, as on
    a trader's terminal. Major ticks fall on month, week, day, hour or round-minute starts (the
    finest that fits the zoom); the next finer level fills the room between them, so five days
    read their hours too. A bar is labelled with its first market minute: a 4-hour bar binned
    from midnight reads 09:00, not 08:00, and one that starts in the lunch break reads 13:00.
    """

    _MIN_LABEL_PX = 70
    _MINOR_LABEL_PX = 55  # a finer label needs this much room from its neighbours
    _LEVELS = ("month", "week", "day", "hour", "30 min", "15 min", "5 min", "bar")

    def __init__(self, orientation: str = "bottom", **kwargs) -> None:
        super().__init__(orientation=orientation, **kwargs)
        self._local = np.zeros(0, dtype="datetime64[s]")
        self._keys: list[np.ndarray] = []
        self._level = "bar"
        self._minor_level = "bar"
        self._minor_spacing = -1.0

    def set_starts(self, epoch_s: np.ndarray, bucket_s: float = 60.0, opens_at: int = 9 * 3600) -> None:
        """``opens_at``: seconds into the Vietnam day when continuous trading opens (09:00 on HOSE)."""
        local_s = np.asarray(epoch_s, dtype=np.int64) + _UTC_PLUS_7_S
        sod = np.mod(local_s, _DAY_S)
        end = sod + int(bucket_s)
        local_s = np.where((sod < opens_at) & (end > opens_at), local_s - sod + opens_at, local_s)
        in_lunch = (sod >= _LUNCH_START_S) & (sod < _LUNCH_END_S) & (end > _LUNCH_END_S)
        local_s = np.where(in_lunch, local_s - sod + _LUNCH_END_S, local_s)
        local = local_s.astype("datetime64[s]")
        self._local = local
        minutes = local.astype("datetime64[m]").astype(np.int64)
        self._keys = [
            local.astype("datetime64[M]").astype(np.int64),
            (local.astype("datetime64[D]").astype(np.int64) + 3) // 7,  # Monday-based weeks
            local.astype("datetime64[D]").astype(np.int64),
            local.astype("datetime64[h]").astype(np.int64),
            minutes // 30,
            minutes // 15,
            minutes // 5,
        ]
        self.picture = None
        self.update()

    def local_time_at(self, index: float):  # -> datetime | None (naive, Vietnam wall clock)
        i = int(round(index))
        if 0 <= i < len(self._local):
            return self._local[i].astype(object)
        return None

    def tickValues(self, minVal, maxVal, size):  # noqa: N802 (pyqtgraph API)
        n = len(self._local)
        if n == 0 or size <= 0:
            return []
        lo = max(0, int(np.floor(minVal)))
        hi = min(n - 1, int(np.ceil(maxVal)))
        if hi < lo:
            return []
        room = _index_room(minVal, maxVal, size, self._MIN_LABEL_PX)
        max_ticks = max(1, int((hi - lo + 1) / room))
        candidates = []
        for keys in self._keys:
            window = keys[lo : hi + 1]
            candidates.append(np.flatnonzero(np.diff(window)) + 1 + lo)
        candidates.append(np.arange(lo, hi + 1))
        minor_room = _index_room(minVal, maxVal, size, self._MINOR_LABEL_PX)
        chosen, major, finer, minor = pick_ticks(candidates, max_ticks, minor_room)
        self._level, self._minor_level = self._LEVELS[chosen], self._LEVELS[finer]
        if chosen > self._LEVELS.index("day") and lo == 0 and (not len(major) or major[0] != 0):
            # the first bar of the data names its day, even when no day starts in view
            major = np.r_[0, major[major >= minor_room]].astype(np.int64)
        levels = [(float(hi - lo + 1), [float(i) for i in major])]
        self._minor_spacing = -1.0
        if len(minor):
            self._minor_spacing = float(hi - lo + 1) / 2.0
            levels.append((self._minor_spacing, [float(i) for i in minor if i not in major]))
        return levels

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph API)
        out: list[str] = []
        level = self._minor_level if spacing == self._minor_spacing else self._level
        day_keys = self._keys[2] if self._keys else np.zeros(0, dtype=np.int64)
        for v in values:
            t = self.local_time_at(v)
            if t is None:
                out.append("")
                continue
            i = int(round(v))
            new_day = i == 0 or day_keys[i] != day_keys[i - 1]
            if level == "month":
                out.append(t.strftime("%b %Y") if t.month == 1 else t.strftime("%b"))
            elif level in ("week", "day") or new_day:
                out.append(t.strftime("%d/%m"))
            else:
                out.append(t.strftime("%H:%M"))
        return out


class CategoryAxis(pg.AxisItem):
    """Names at x = 0, 1, 2, … (stocks, sectors), thinned to every n-th so that they never overlap,
    however narrow the plot (a dock on a laptop screen holds 30 symbols in ~500 px)."""

    _GAP_PX = 8

    def __init__(self, orientation: str = "bottom", **kwargs) -> None:
        super().__init__(orientation=orientation, **kwargs)
        self.names: list[str] = []

    def set_names(self, names: list[str]) -> None:
        self.names = list(names)
        self.picture = None
        self.update()

    def tickValues(self, minVal, maxVal, size):  # noqa: N802 (pyqtgraph API)
        if not self.names or size <= 0 or maxVal <= minVal:
            return []
        metrics = QFontMetrics(self.style.get("tickFont") or QFont())
        widest = max(metrics.horizontalAdvance(n) for n in self.names) + self._GAP_PX
        per_category_px = size / (maxVal - minVal)
        step = max(1, math.ceil(widest / per_category_px))
        first = max(0, math.ceil(minVal))
        values = [float(i) for i in range(first, len(self.names)) if i <= maxVal and i % step == 0]
        return [(float(step), values)]

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph API)
        return [self.names[int(round(v))] if 0 <= int(round(v)) < len(self.names) else "" for v in values]
