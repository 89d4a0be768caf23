"""The sector of each VN30 member, kept as data (resources/vn30_sectors.json), for grouping the
basket's order flow. SSI's FastConnect gives no industry field, so the map ships with the app."""

from __future__ import annotations

import functools
from types import MappingProxyType
from typing import Mapping

import orjson

from desktop_app.feeds.basket import find_resource

SECTORS_FILE = "vn30_sectors.json"
OTHER_SECTOR = "Other"


@functools.lru_cache(maxsize=2)
def load_sectors(name: str = SECTORS_FILE) -> Mapping[str, str]:
    """symbol -> sector name (read-only); a symbol not listed belongs to ``OTHER_SECTOR``."""
    path = find_resource(name)
    try:
        sectors = orjson.loads(path.read_bytes())["sectors"]
        return MappingProxyType({str(symbol): str(sector) for symbol, sector in sectors.items()})
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"sector file {path} is malformed: {exc}") from exc


def sector_of(symbol: str) -> str:
    return load_sectors().get(symbol, OTHER_SECTOR)
