"""The default VN30 basket, kept as data (resources/vn30_basket.json), not code.

The basket changes in January and July; the live list comes from SSI's IndexComponents when
credentials exist. This ships the fallback list plus the reference data the demo simulator needs
(plausible reference prices, index weights, foreign room).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import orjson

BASKET_FILE = "vn30_basket.json"


@dataclass(frozen=True, slots=True)
class BasketMember:
    symbol: str
    name: str
    ref_price: int  # VND, on the HOSE tick grid
    weight: float  # index weight in percent
    total_room: int  # shares foreigners may hold
    room_left: int  # shares still available to foreigners at the start of the day


@dataclass(frozen=True, slots=True)
class BasketData:
    index_id: str
    index_prior_value: float  # index points
    futures_prior_basis: float  # points
    members: tuple[BasketMember, ...]

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(m.symbol for m in self.members)


def find_resource(name: str) -> Path:
    """A file shipped in ``resources/``: packaged (``desktop_app/resources``) first, else the repo's."""
    try:
        packaged = resources.files("desktop_app") / "resources" / name
        if packaged.is_file():
            return Path(str(packaged))
    except (ModuleNotFoundError, NotADirectoryError):
        pass
    repo_copy = Path(__file__).resolve().parents[2] / "resources" / name
    if repo_copy.is_file():
        return repo_copy
    raise FileNotFoundError(
        f"resource {name!r} is missing: looked in the installed package (desktop_app/resources) "
        f"and in {repo_copy.parent}"
    )


@functools.lru_cache(maxsize=4)
def load_basket(name: str = BASKET_FILE) -> BasketData:
    path = find_resource(name)
    try:
        doc = orjson.loads(path.read_bytes())
        members = tuple(
            BasketMember(
                symbol=str(m["symbol"]),
                name=str(m["name"]),
                ref_price=int(m["ref_price"]),
                weight=float(m["weight"]),
                total_room=int(m["total_room"]),
                room_left=int(m["room_left"]),
            )
            for m in doc["members"]
        )
        data = BasketData(
            index_id=str(doc["index_id"]),
            index_prior_value=float(doc["index_prior_value"]),
            futures_prior_basis=float(doc.get("futures_prior_basis", 0.0)),
            members=members,
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"basket file {path} is malformed: {exc}") from exc
    if not members:
        raise ValueError(f"basket file {path} lists no members")
    return data


def default_vn30_basket() -> tuple[str, ...]:
    """The shipped VN30 symbols, in the file's (alphabetical) order."""
    return load_basket().symbols
