"""Chart axes that read in Vietnam time, whatever the computer's time zone.

``VietnamTimeAxis`` is pyqtgraph's own ``DateAxisItem`` pinned to UTC+7 (its tick spacing logic is
good; only the zone must not follow the machine). ``TradingDayAxis`` labels a daily chart whose x
is the bar index (so non-trading days leave no gaps) with the date of each index.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyqtgraph as pg

VIETNAM_UTC_OFFSET_S = -7 * 3600  # pyqtgraph counts the offset west of UTC, like time.timezone


class VietnamTimeAxis(pg.DateAxisItem):
    """x = epoch seconds, labels in Vietnam time (UTC+7, no DST)."""

    def __init__(self, orientation: str = "bottom", **kwargs) -> None:
        super().__init__(orientation=orientation, utcOffset=VIETNAM_UTC_OFFSET_S, **kwargs)


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

    def tickValues(self, minVal, maxVal, size):  # noqa: N802 (pyqtgraph API)
        n = len(self._dates)
        if n == 0 or size <= 0:
            return []
        lo = max(0, int(np.floor(minVal)))
        hi = min(n - 1, int(np.ceil(maxVal)))
        if hi < lo:
            return []
        max_ticks = max(2, int(size / self._MIN_LABEL_PX))
        candidates: list[np.ndarray] = []
        for keys in (self._years, self._months, self._weeks):
            window = keys[lo : hi + 1]
            starts = np.flatnonzero(np.diff(window)) + 1 + lo
            candidates.append(starts)
        candidates.append(np.arange(lo, hi + 1))
        major: np.ndarray | None = None
        for level, starts in enumerate(candidates):
            if len(starts) <= max_ticks:
                major = starts
                continue
            if major is None:  # even the coarsest level is too dense: thin the years
                step = int(np.ceil(len(starts) / max_ticks))
                major = starts[::step]
            break
        if major is None:
            major = candidates[-1]
        return [(float(hi - lo + 1), [float(i) for i in major])]

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph API)
        out: list[str] = []
        span = self._visible_span()
        for v in values:
            d = self.date_at(v)
            if d is None:
                out.append("")
            elif span > 700:
                out.append(d.strftime("%Y") if d.month == 1 or span > 1500 else d.strftime("%b %Y"))
            elif span > 60:
                out.append(d.strftime("%b %Y") if d.month == 1 else d.strftime("%b"))
            else:
                out.append(d.strftime("%d/%m"))
        return out

    def _visible_span(self) -> float:
        vb = self.linkedView()
        if vb is None:
            return float(len(self._dates))
        (x0, x1), _ = vb.viewRange()
        return x1 - x0


class BarTimeAxis(pg.AxisItem):
    """x = bar index into ``starts`` (epoch seconds of each bar, Vietnam time on the labels).

    Intraday bars over weeks or months: nights, weekends and the lunch break leave no gaps, as on
    a trader's terminal. Ticks fall on month, week, day or hour starts, whichever fits the zoom.
    """

    _MIN_LABEL_PX = 70
    _LEVELS = ("month", "week", "day", "hour", "bar")

    def __init__(self, orientation: str = "bottom", **kwargs) -> None:
        super().__init__(orientation=orientation, **kwargs)
        self._local = np.zeros(0, dtype="datetime64[s]")
        self._keys: list[np.ndarray] = []
        self._level = "bar"

    def set_starts(self, epoch_s: np.ndarray) -> None:
        local = (np.asarray(epoch_s, dtype=np.int64) - VIETNAM_UTC_OFFSET_S).astype("datetime64[s]")
        self._local = local
        self._keys = [
            local.astype("datetime64[M]").astype(np.int64),
            (local.astype("datetime64[D]").astype(np.int64) + 3) // 7,  # Monday-based weeks
            local.astype("datetime64[D]").astype(np.int64),
            local.astype("datetime64[h]").astype(np.int64),
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
        max_ticks = max(2, int(size / self._MIN_LABEL_PX))
        candidates = []
        for keys in self._keys:
            window = keys[lo : hi + 1]
            candidates.append(np.flatnonzero(np.diff(window)) + 1 + lo)
        candidates.append(np.arange(lo, hi + 1))
        major, level = None, self._LEVELS[0]
        for name, starts in zip(self._LEVELS, candidates):
            if len(starts) <= max_ticks:
                major, level = starts, name
                continue
            if major is None:
                step = int(np.ceil(len(starts) / max_ticks))
                major, level = starts[::step], name
            break
        self._level = level
        return [(float(hi - lo + 1), [float(i) for i in major])]

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (pyqtgraph API)
        out: list[str] = []
        day_keys = self._keys[2] if self._keys else np.zeros(0, dtype=np.int64)
        for v in values:
            t = self.local_time_at(v)
            if t is None:
                out.append("")
                continue
            i = int(round(v))
            new_day = i == 0 or day_keys[i] != day_keys[i - 1]
            if self._level == "month":
                out.append(t.strftime("%b %Y") if t.month == 1 else t.strftime("%b"))
            elif self._level in ("week", "day") or new_day:
                out.append(t.strftime("%d/%m"))
            else:
                out.append(t.strftime("%H:%M"))
        return out
