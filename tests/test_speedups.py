"""Each speed-up in ``desktop_app.speedups`` equals the plain code it replaces."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from desktop_app.database.copy_encoding import CopyColumn, CopyLayout, PgType
from desktop_app.domain import (
    VIETNAM_TZ, Alert, BasisPoint, ClassifiedTrade, Quote, Severity, Trade, TradeType, TradingSession,
)
from desktop_app.speedups import ParserCaches, fast_constructor, remember_last

T0 = datetime(2024, 3, 15, 10, 0, 1, tzinfo=VIETNAM_TZ)


# --------------------------------------------------------------------------- fast_constructor

SAMPLES = [
    Trade("FPT", "HOSE", T0.date(), T0, Decimal("98100"), 100, 12_300, Decimal("1206000000"), Decimal("97000"),
          Decimal("103700"), Decimal("90300"), Decimal("98500"), Decimal("97900"), Decimal("98010.5"),
          TradingSession.CONTINUOUS, None),
    Quote("FPT", "HOSE", T0.date(), T0, (Decimal("98000"),), (500,), (), (), TradingSession.CONTINUOUS),
    ClassifiedTrade("FPT", Decimal("98100"), 100, Decimal("9810000"), TradeType.BUY, Decimal("98000"), None, T0),
    BasisPoint("VN30F2403", Decimal("1302.4"), Decimal("1290.15"), Decimal("12.25"), T0),
    Alert("FPT", "block_trade", "Giao dịch lớn", Severity.INFO, T0),
]


@pytest.mark.parametrize("value", SAMPLES, ids=lambda v: type(v).__name__)
def test_fast_constructor_builds_what_the_dataclass_constructor_builds(value: object) -> None:
    cls = type(value)
    args = [getattr(value, name) for name in cls.__slots__]
    made = fast_constructor(cls)(*args)
    assert type(made) is cls
    assert made == cls(*args) == value and hash(made) == hash(value) and repr(made) == repr(value)
    with pytest.raises(AttributeError):  # still frozen
        setattr(made, cls.__slots__[0], "VNM")


def test_fast_constructor_takes_keywords_and_defaults_like_the_dataclass() -> None:
    @dataclass(frozen=True, slots=True)
    class Point:
        x: int
        y: int = 7

    new = fast_constructor(Point)
    assert new(1) == Point(1) and new(1, y=2) == Point(1, y=2) and new(x=3, y=4) == Point(3, 4)
    with pytest.raises(TypeError):
        new()


def test_fast_constructor_runs_the_validation_in_post_init() -> None:
    @dataclass(frozen=True, slots=True)
    class Positive:
        value: int

        def __post_init__(self) -> None:
            if self.value <= 0:
                raise ValueError(f"not positive: {self.value}")

    new = fast_constructor(Positive)
    assert new(3) == Positive(3)
    with pytest.raises(ValueError, match="not positive: -1"):
        Positive(-1)
    with pytest.raises(ValueError, match="not positive: -1"):
        new(-1)


def test_fast_constructor_refuses_what_it_cannot_reproduce() -> None:
    @dataclass(frozen=True)
    class NoSlots:
        x: int

    @dataclass(frozen=True, slots=True)
    class Factory:
        xs: list = field(default_factory=list)

    @dataclass(frozen=True, slots=True)
    class Derived:
        x: int
        twice: int = field(init=False, default=0)

    for cls in (NoSlots, Factory, Derived):
        with pytest.raises(TypeError):
            fast_constructor(cls)


# --------------------------------------------------------------------------- COPY row loop

ALL_TYPES = [
    CopyColumn("t", PgType.TEXT), CopyColumn("s", PgType.INT2), CopyColumn("i", PgType.INT4),
    CopyColumn("b", PgType.INT8), CopyColumn("n", PgType.NUMERIC), CopyColumn("n2", PgType.NUMERIC, 2),
    CopyColumn("nv", PgType.NUMERIC, cached=False), CopyColumn("f", PgType.FLOAT8), CopyColumn("o", PgType.BOOL),
    CopyColumn("d", PgType.DATE), CopyColumn("ts", PgType.TIMESTAMPTZ), CopyColumn("u", PgType.UUID),
]


def random_rows(n: int, seed: int) -> list[tuple]:
    rng = random.Random(seed)

    def maybe(value: object) -> object:
        return None if rng.random() < 0.1 else value

    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    return [
        tuple(maybe(v) for v in (
            rng.choice(["FPT", "VNM", "HPG", "Giao dịch"]), rng.randint(-300, 300), rng.randint(-2**31, 2**31 - 1),
            rng.randint(-2**63, 2**63 - 1), Decimal(rng.choice(["22950", "0.5", "-7E+3", "12.3400"])),
            Decimal(rng.randint(0, 10**6)) / 100, Decimal(rng.randint(0, 10**12)) / 1000, rng.random() * 1e6,
            rng.random() < 0.5, date(2024, 1, 1) + timedelta(days=rng.randint(0, 400)),
            start + timedelta(seconds=rng.randint(0, 86_400)), uuid.UUID(int=rng.getrandbits(128)),
        ))
        for _ in range(n)
    ]


def test_generated_row_loop_equals_the_plain_loop_byte_for_byte() -> None:
    layout = CopyLayout("every_type", ALL_TYPES)
    for seed in range(3):
        rows = random_rows(500, seed)
        assert layout.encode_rows(rows) == layout.encode_rows_plain(rows)
        assert layout.encode_rows(rows) == layout.encode_rows_plain(rows)  # warm column caches too


def test_generated_object_loop_equals_the_plain_loop() -> None:
    trades = [
        ClassifiedTrade("FPT", Decimal(p), v, Decimal(p) * v, TradeType.BUY, Decimal(p) - 100, None,
                        T0 + timedelta(seconds=v))
        for p, v in (("98100", 100), ("98200", 2_000), ("98100", 50))
    ]
    columns = [CopyColumn("symbol", PgType.TEXT), CopyColumn("price", PgType.NUMERIC),
               CopyColumn("volume", PgType.INT8), CopyColumn("ts", PgType.TIMESTAMPTZ)]
    layout = CopyLayout("trades", columns, attributes=("symbol", "price", "volume", "timestamp"))
    plain = layout.encode_rows_plain([(t.symbol, t.price, t.volume, t.timestamp) for t in trades])
    assert layout.encode_objects(trades) == plain


# --------------------------------------------------------------------------- parser caches

def test_parser_caches_reset_and_disabled() -> None:
    caches = ParserCaches()
    prices = caches.prices
    caches.store(prices, 22950.0, Decimal("22950"))
    caches.store(caches.symbols, "ACB", "ACB")
    assert prices == {22950.0: Decimal("22950")} and caches.symbols == {"ACB": "ACB"}
    caches.reset()
    assert caches.prices is prices and not prices and not caches.symbols
    with caches.disabled():
        caches.store(prices, 1.0, Decimal(1))
        assert not prices
    caches.store(prices, 1.0, Decimal(1))
    assert prices == {1.0: Decimal(1)}


def test_a_full_parser_cache_is_cleared_not_grown() -> None:
    caches = ParserCaches()
    for i in range(5):
        caches.store(caches.symbols, f"S{i}", f"S{i}", limit=3)
    assert len(caches.symbols) <= 3 and caches.symbols["S4"] == "S4"


# --------------------------------------------------------------------------- remember_last


def test_remember_last_equals_the_plain_function_and_matches_by_identity() -> None:
    """Over a stream where objects repeat in a row, apart, and as equal copies: the same results
    as the plain function, which runs once per change of object."""
    from desktop_app.processing.order_flow import _minute_and_day, _minute_and_day_plain

    calls: list[datetime] = []

    def plain(moment: datetime) -> tuple[datetime, date]:
        calls.append(moment)
        return _minute_and_day_plain(moment)

    remembered = remember_last(plain)
    a, b = T0, T0 + timedelta(seconds=59)
    copy_of_a = datetime.fromisoformat(a.isoformat())  # equal, not identical
    utc = a.astimezone(timezone.utc)  # the same instant in another zone: same Vietnam minute
    late = datetime(2024, 3, 15, 23, 59, 59, tzinfo=timezone.utc)  # 06:59 the next Vietnam day
    stream = [a, a, a, b, b, a, copy_of_a, copy_of_a, utc, late, late]
    assert [remembered(m) for m in stream] == [_minute_and_day_plain(m) for m in stream]
    assert [_minute_and_day(m) for m in stream] == [_minute_and_day_plain(m) for m in stream]
    assert calls == [a, b, a, copy_of_a, utc, late]
    assert _minute_and_day_plain(late) == (datetime(2024, 3, 16, 6, 59, tzinfo=VIETNAM_TZ), date(2024, 3, 16))
    assert remembered.__name__ == "plain"


# --------------------------------------------------------------------------- binary NUMERIC


def _numeric_samples() -> list[object]:
    """Every shape of value the fast path takes or hands on: digit-group boundaries and zero
    digits in each position, the 10**16 limit, signs, scales, specials and non-numbers."""
    rng = random.Random(17)
    values: list[object] = [Decimal(10) ** k for k in range(0, 22)]
    values += [Decimal(10) ** k - 1 for k in range(1, 22)] + [Decimal(10) ** k + 1 for k in range(1, 22)]
    values += [Decimal(a * 10**12 + h * 10**8 + b * 10**4 + c)
               for a in (0, 1, 9999) for h in (0, 7, 9999) for b in (0, 42, 9999) for c in (0, 5, 9999)]
    values += [Decimal(rng.randrange(10 ** rng.randint(1, 18))) for _ in range(3_000)]
    values += [Decimal(p) * v for p in ("98100", "1302.4", "0.01") for v in (100, 2_000, 1_000_000)]
    values += [Decimal(s) for s in ("0", "-0", "0.00", "-1", "-98100", "12.3400", "0.5", "1E+5", "-7E+3",
                                    "1E-20", "9999999999999999", "10000000000000000", "NaN", "sNaN",
                                    "-NaN", "Infinity", "-Infinity", "123456789012345678901234567890")]
    values += [7, 0, -3, 10**20, 12.5, "12", "abc", "١٢", None, object()]
    return values


def _outcome(encode: object, value: object) -> object:
    try:
        return encode(value)  # type: ignore[operator]
    except Exception as exc:  # noqa: BLE001 - the outcome compared is the exception's type
        return type(exc)


def test_fast_numeric_encoder_equals_the_plain_encoder_byte_for_byte() -> None:
    from desktop_app.database.copy_encoding import encode_numeric
    from desktop_app.speedups import fast_numeric_encoder

    fast = fast_numeric_encoder(encode_numeric)
    for value in _numeric_samples():
        assert _outcome(fast, value) == _outcome(encode_numeric, value), value


def test_fast_numeric_encoder_hands_everything_but_positive_integers_to_the_plain_encoder() -> None:
    from desktop_app.database.copy_encoding import encode_numeric
    from desktop_app.speedups import fast_numeric_encoder

    handed: list[object] = []

    def plain(value: object) -> bytes:
        handed.append(value)
        return encode_numeric(value)  # type: ignore[arg-type]

    fast = fast_numeric_encoder(plain)
    taken = [Decimal(1), Decimal(98100) * 12_300, Decimal(9_999_999_999_999_999)]
    others = [Decimal(0), Decimal("-5"), Decimal("1.50"), Decimal("1E+3"), Decimal("NaN"), Decimal("-Infinity"),
              Decimal(10**16)]
    for value in taken + others:
        fast(value)
    assert handed == others


def test_generated_row_loop_uses_the_fast_numeric_twin_and_still_explains_errors() -> None:
    from desktop_app.database.copy_encoding import CopyEncodingError

    layout = CopyLayout("trades", [CopyColumn("symbol", PgType.TEXT), CopyColumn("value", PgType.NUMERIC, 2, False)])
    rows = [("FPT", v) for v in _numeric_samples() if isinstance(v, Decimal) or v is None]
    assert layout.encode_rows(rows) == layout.encode_rows_plain(rows)
    with pytest.raises(CopyEncodingError, match=r"trades\.value"):
        layout.encode_rows([("FPT", Decimal(5)), ("FPT", "abc")])
