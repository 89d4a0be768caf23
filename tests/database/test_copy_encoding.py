"""The binary COPY encoder against PostgreSQL itself: COPY our bytes in, read exact values back."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal

import asyncpg
import pytest

from desktop_app.database.copy_encoding import CopyColumn, CopyEncodingError, CopyLayout, PgType
from desktop_app.domain import VIETNAM_TZ

EDGE_DECIMALS = [
    "0", "0.00", "-0", "-0.000", "1", "-1", "0.5", "-0.001", "0.0001", "0.00010", "1E+5", "-7E+3",
    "9999", "10000", "10001", "12.3400", "123456789.123456789", "99999999999999999999.5",
    "1E-20", "-1E-20", "28600", "663258204999.9850", "1234.5", "0.1234", "12345.6789",
    "100000000.00000001", "-98765432109876543210.0123456789",
]


def _expected_text(value: Decimal) -> str:
    """PostgreSQL's text form of a numeric with this display scale (no negative zero)."""
    text = format(value, "f")
    return text.lstrip("-") if value == 0 else text


async def _copy(conn: asyncpg.Connection, layout: CopyLayout, rows: list[tuple]) -> None:
    await conn.copy_to_table(layout.table, source=memoryview(layout.encode_rows(rows)),
                             columns=list(layout.column_names), format="binary")


async def test_numerics_of_every_scale_and_sign_come_back_exact(pool: asyncpg.Pool) -> None:
    rng = random.Random(5)
    values = [Decimal(v) for v in EDGE_DECIMALS]
    for _ in range(500):  # random digits and exponents, built exactly (no context rounding)
        values.append(Decimal(f"{rng.choice('+-')}{rng.randint(0, 10 ** rng.randint(1, 30))}E{rng.randint(-25, 12)}"))
    layout = CopyLayout("enc_numeric", [CopyColumn("i", PgType.INT4), CopyColumn("v", PgType.NUMERIC)])
    async with pool.acquire() as conn:
        await conn.execute("CREATE TABLE enc_numeric (i int, v numeric)")
        await _copy(conn, layout, [(i, v) for i, v in enumerate(values)] + [(len(values), None)])
        rows = await conn.fetch("SELECT i, v::text AS t FROM enc_numeric ORDER BY i")
    assert len(rows) == len(values) + 1
    for row, value in zip(rows, values):
        assert row["t"] == _expected_text(value), value
    assert rows[-1]["t"] is None


async def test_special_numerics_and_typmod_rounding(pool: asyncpg.Pool) -> None:
    layout = CopyLayout("enc_typmod", [CopyColumn("a", PgType.NUMERIC), CopyColumn("b", PgType.NUMERIC, 2)])
    async with pool.acquire() as conn:
        await conn.execute("CREATE TABLE enc_typmod (a numeric, b numeric(12,2))")
        await _copy(conn, layout, [
            (Decimal("NaN"), Decimal("12.345")),
            (Decimal("Infinity"), Decimal("1.0")),
            (Decimal("-Infinity"), Decimal("1.00")),  # equal to 1.0: the cache may share it
        ])
        rows = await conn.fetch("SELECT a::text, b::text FROM enc_typmod")
    assert [tuple(r) for r in rows] == [("NaN", "12.35"), ("Infinity", "1.00"), ("-Infinity", "1.00")]


async def test_text_ints_times_and_other_types_round_trip(pool: asyncpg.Pool) -> None:
    layout = CopyLayout("enc_types", [
        CopyColumn("t", PgType.TEXT), CopyColumn("s", PgType.INT2), CopyColumn("i", PgType.INT4),
        CopyColumn("b", PgType.INT8), CopyColumn("ts", PgType.TIMESTAMPTZ), CopyColumn("d", PgType.DATE),
        CopyColumn("f", PgType.FLOAT8), CopyColumn("ok", PgType.BOOL), CopyColumn("u", PgType.UUID),
    ])
    moment = datetime(2026, 4, 8, 14, 29, 59, 123456, tzinfo=VIETNAM_TZ)
    ident = uuid.uuid4()
    rows = [
        ("Cổ phiếu VN30 ✓ 株", -32768, -2**31, -2**63, moment, date(2026, 4, 8), -1.5, True, ident),
        ("", 32767, 2**31 - 1, 2**63 - 1, datetime(1970, 1, 1, tzinfo=timezone.utc), date(1999, 12, 31), 1e300, False, ident),
        ("FPT", 0, 0, 0, datetime(2000, 1, 1, tzinfo=timezone.utc), date(2000, 1, 1), 0.0, False, ident),
        (None, None, None, None, None, None, None, None, None),
    ]
    async with pool.acquire() as conn:
        await conn.execute(
            "CREATE TABLE enc_types (n serial, t text, s int2, i int4, b int8, ts timestamptz, d date,"
            " f float8, ok bool, u uuid)"
        )
        await _copy(conn, layout, rows)
        got = await conn.fetch("SELECT t, s, i, b, ts, d, f, ok, u FROM enc_types ORDER BY n")
    assert [tuple(r) for r in got] == rows  # aware datetimes compare by instant


async def test_values_postgresql_cannot_hold_are_refused_with_the_column_name() -> None:
    layout = CopyLayout("trades", [CopyColumn("volume", PgType.INT4), CopyColumn("traded_at", PgType.TIMESTAMPTZ)])
    with pytest.raises(CopyEncodingError, match="trades.volume"):
        layout.encode_rows([(2**31, datetime.now(timezone.utc))])
    with pytest.raises(CopyEncodingError, match="trades.traded_at"):
        layout.encode_rows([(1, datetime(2026, 4, 8, 9, 15))])  # naive: which instant?
    text_layout = CopyLayout("t", [CopyColumn("t", PgType.TEXT)])
    with pytest.raises(CopyEncodingError, match="NUL"):
        text_layout.encode_rows([("a\x00b",)])


async def test_a_batch_sent_in_slices_is_one_valid_stream(pool: asyncpg.Pool) -> None:
    layout = CopyLayout("enc_slices", [CopyColumn("i", PgType.INT4), CopyColumn("p", PgType.NUMERIC, 2)])
    rows = [(i, Decimal(25000 + 50 * (i % 7))) for i in range(2500)]
    parts = [layout.encode_rows(rows[s:s + 1000], header=s == 0, trailer=s == 2000) for s in range(0, 2500, 1000)]

    async def stream():
        for part in parts:
            yield part

    async with pool.acquire() as conn:
        await conn.execute("CREATE TABLE enc_slices (i int, p numeric(12,2))")
        await conn.copy_to_table("enc_slices", source=stream(), columns=["i", "p"], format="binary")
        got = await conn.fetch("SELECT i, p FROM enc_slices ORDER BY i")
    assert [(r["i"], r["p"]) for r in got] == rows


async def test_trade_values_store_the_same_through_the_fast_numeric_path(pool: asyncpg.Pool) -> None:
    """The writer's uncached ``value`` column (NUMERIC(18,2)) encodes integers on the fast path
    (``speedups.fast_numeric_encoder``): what the server stores (digits and display scale) is what
    the plain encoder's bytes store; a value the column cannot hold is refused the same way."""
    rng = random.Random(11)
    values = [Decimal(98100) * 12_300, Decimal(1), Decimal(10**15), Decimal(10**16 - 1) / 100, Decimal(0),
              Decimal("-5"), Decimal("1302.4") * 3, Decimal("0.005"), Decimal("12.345")]
    values += [Decimal(rng.choice((50, 100))) * rng.randint(200, 1_500) * 100 * rng.randint(1, 10_000)
               for _ in range(300)]
    fast = CopyLayout("enc_value", [CopyColumn("i", PgType.INT4), CopyColumn("v", PgType.NUMERIC, 2, cached=False)])
    rows = list(enumerate(values))
    async with pool.acquire() as conn:
        await conn.execute("CREATE TABLE enc_value (i int, v numeric(18,2))")
        await conn.copy_to_table("enc_value", source=memoryview(fast.encode_rows(rows)), columns=["i", "v"],
                                 format="binary")
        stored_fast = await conn.fetch("SELECT i, v::text AS t, scale(v) AS s FROM enc_value ORDER BY i")
        await conn.execute("TRUNCATE enc_value")
        await conn.copy_to_table("enc_value", source=memoryview(fast.encode_rows_plain(rows)), columns=["i", "v"],
                                 format="binary")
        stored_plain = await conn.fetch("SELECT i, v::text AS t, scale(v) AS s FROM enc_value ORDER BY i")
        for special in (Decimal("Infinity"), Decimal(10**16)):  # no room in NUMERIC(18,2)
            with pytest.raises(asyncpg.DataError):
                await conn.copy_to_table("enc_value", source=memoryview(fast.encode_rows([(0, special)])),
                                         columns=["i", "v"], format="binary")
    assert [tuple(r) for r in stored_fast] == [tuple(r) for r in stored_plain]
    assert all(r["s"] == 2 for r in stored_fast)
    for row, value in zip(stored_fast, values):
        assert Decimal(row["t"]) == value.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP"), value
