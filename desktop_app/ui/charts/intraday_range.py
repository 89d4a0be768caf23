"""The spans the intraday tab can show, ending at the chosen day, and the bar size of each.

A single day is drawn from the raw prints; longer spans read the per-minute aggregate re-binned in
SQL, with a bucket chosen so a span stays around a thousand bars at most (a trading day has 270
minutes of continuous matching): the chart stays light however far back the trader looks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication


@dataclass(frozen=True, slots=True)
class IntradayRange:
    label: str
    weekdays: int = 0  # span counted in weekdays (Mon-Fri) ending at the day ...
    months: int = 0  # ... or in calendar months
    bucket: timedelta = timedelta(minutes=1)

    def start(self, end: date) -> date:
        """First calendar day of the span that ends (inclusive) at ``end``."""
        if self.months:
            return _months_before(end, self.months) + timedelta(days=1)
        day, left = end, self.weekdays
        while True:
            if day.weekday() < 5:
                left -= 1
                if left <= 0:
                    return day
            day -= timedelta(days=1)

    def bucket_label(self) -> str:
        minutes = int(self.bucket.total_seconds() // 60)
        if minutes % 1440 == 0:
            return QCoreApplication.translate("ChartTabs", "{n}-day bars").format(n=minutes // 1440)
        if minutes % 60 == 0:
            return QCoreApplication.translate("ChartTabs", "{n}-hour bars").format(n=minutes // 60)
        return QCoreApplication.translate("ChartTabs", "{n}-min bars").format(n=minutes)


def _months_before(day: date, months: int) -> date:
    total = day.year * 12 + (day.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    for d in (day.day, 30, 29, 28):  # clamp 31 March - 1 month to the end of February
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


DAY = IntradayRange(QT_TRANSLATE_NOOP("ChartTabs", "Day"), weekdays=1)
RANGES: tuple[IntradayRange, ...] = (
    DAY,
    IntradayRange(QT_TRANSLATE_NOOP("ChartTabs", "5 days"), weekdays=5, bucket=timedelta(minutes=1)),  # ~1,350 bars
    IntradayRange(QT_TRANSLATE_NOOP("ChartTabs", "1 month"), months=1, bucket=timedelta(minutes=15)),  # ~420 bars
    IntradayRange(QT_TRANSLATE_NOOP("ChartTabs", "3 months"), months=3, bucket=timedelta(minutes=30)),  # ~650 bars
    # 4-hour bins from Vietnam midnight: one morning and one afternoon bar a day (~500 bars)
    IntradayRange(QT_TRANSLATE_NOOP("ChartTabs", "1 year"), months=12, bucket=timedelta(minutes=240)),
)
