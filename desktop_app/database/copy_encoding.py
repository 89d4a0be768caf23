"""PostgreSQL binary COPY encoding, built in pure Python off the event loop.

Why not ``asyncpg.copy_records_to_table``: asyncpg encodes records on the calling thread, which
under qasync is the Qt thread, and its generic ``Decimal`` path reaches about half of what the
server accepts. Here a batch becomes the exact ``COPY ... FROM STDIN (FORMAT binary)`` byte stream
(PGCOPY header, per-tuple field count, int32-length-prefixed big-endian fields, trailer) in an
executor thread, and the bytes go to ``conn.copy_to_table(..., format='binary')`` untouched. The
same bytes are what the spill journal stores, so a replay never re-encodes.

Prices, symbols and (second-resolution) market times repeat a lot within a trading day, so the
encoded form of each value, length prefix included, is cached per column: a typical trade row
costs a handful of dict lookups and one ``bytes.join``. The per-row loop is generated for each
column list by ``speedups.compile_rows_encoder`` (about 3x faster than the plain per-field loop,
``CopyLayout.encode_rows_plain``, which it must equal byte for byte and which explains errors).

Reference: PostgreSQL docs, "COPY — Binary Format"; ``numeric_send``/``timestamptz_send`` in the
server sources for the field layouts.
"""

from __future__ import annotations

import enum
import struct
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Callable, Iterable, Sequence

from desktop_app.speedups import RowsEncoder, compile_rows_encoder, fast_numeric_encoder

COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
COPY_HEADER = COPY_SIGNATURE + struct.pack("!ii", 0, 0)  # flags, header extension length
COPY_TRAILER = struct.pack("!h", -1)

PG_EPOCH = datetime(2000, 1, 1, tzinfo=timezone.utc)
PG_EPOCH_DATE = date(2000, 1, 1)
_ONE_US = timedelta(microseconds=1)

_NULL = struct.pack("!i", -1)
_I2 = struct.Struct("!ih")
_I4 = struct.Struct("!ii")
_I8 = struct.Struct("!iq")
_F8 = struct.Struct("!id")
_FIELD_COUNT = struct.Struct("!h")
_NUMERIC_HEAD = struct.Struct("!ihhHH")  # length, ndigits, weight, sign, dscale

_NUMERIC_POS = 0x0000
_NUMERIC_NEG = 0x4000
_NUMERIC_NAN = 0xC000
_NUMERIC_PINF = 0xD000
_NUMERIC_NINF = 0xF000
_NUMERIC_MAX_DSCALE = 0x3FFF

_CACHE_LIMIT = 50_000  # entries per column cache before it is cleared (a day has ~22k seconds)


class CopyEncodingError(ValueError):
    """A value cannot be represented in its column's PostgreSQL type."""


class PgType(str, enum.Enum):
    """The column types the writer's tables use (binary wire formats below)."""

    TEXT = "text"  # also varchar / char / name: UTF-8 bytes
    INT2 = "int2"
    INT4 = "int4"
    INT8 = "int8"
    NUMERIC = "numeric"
    FLOAT8 = "float8"
    BOOL = "bool"
    DATE = "date"
    TIMESTAMPTZ = "timestamptz"
    UUID = "uuid"


# --------------------------------------------------------------------------- single values


_NUMERIC_STRUCTS = [struct.Struct(f"!ihhHH{n}H") for n in range(64)]


def encode_numeric(value: Decimal) -> bytes:
    """A ``Decimal`` as a length-prefixed NUMERIC field (base-10000 digits, exact dscale).

    Works from ``str(value)``: for plain notation that is several times faster than
    ``as_tuple()`` (which builds a tuple of digits); exponent notation takes the general path.
    """
    text = str(value)
    if "E" in text or "N" in text or "n" in text:
        return _encode_numeric_general(value)
    if text[0] == "-":
        sign = _NUMERIC_NEG
        text = text[1:]
    else:
        sign = _NUMERIC_POS
    int_part, _, frac_part = text.partition(".")
    dscale = len(frac_part)
    frac_groups = (dscale + 3) >> 2
    magnitude = int(int_part + frac_part + "000"[: (frac_groups << 2) - dscale]) if frac_part else int(int_part)
    return _pack_numeric(magnitude, frac_groups, sign, dscale)


def _pack_numeric(magnitude: int, frac_groups: int, sign: int, dscale: int) -> bytes:
    """``magnitude`` * 10000**-frac_groups, with the given sign and display scale."""
    if dscale > _NUMERIC_MAX_DSCALE:
        raise CopyEncodingError(f"numeric scale {dscale} exceeds PostgreSQL's limit")
    if not magnitude:  # zero has no sign and weight 0, and keeps its display scale
        return _NUMERIC_HEAD.pack(8, 0, 0, _NUMERIC_POS, dscale)
    groups: list[int] = []
    while magnitude:
        magnitude, group = divmod(magnitude, 10000)
        groups.append(group)
    weight = len(groups) - 1 - frac_groups
    if not -32768 <= weight <= 32767:
        raise CopyEncodingError("numeric value is out of PostgreSQL's range")
    start = 0
    while not groups[start]:  # trailing zero groups carry no information
        start += 1
    if start:
        del groups[:start]
    groups.reverse()
    n = len(groups)
    if n < len(_NUMERIC_STRUCTS):
        return _NUMERIC_STRUCTS[n].pack(8 + 2 * n, n, weight, sign, dscale, *groups)
    return _NUMERIC_HEAD.pack(8 + 2 * n, n, weight, sign, dscale) + struct.pack(f"!{n}H", *groups)


def _encode_numeric_general(value: Decimal) -> bytes:
    sign_bit, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):  # 'n', 'N' (NaN, sNaN) or 'F' (infinity)
        if exponent == "F":
            special = _NUMERIC_NINF if sign_bit else _NUMERIC_PINF
        else:
            special = _NUMERIC_NAN
        return _NUMERIC_HEAD.pack(8, 0, 0, special, 0)
    coefficient = 0
    for digit in digits:
        coefficient = coefficient * 10 + digit
    if exponent >= 0:
        return _pack_numeric(coefficient * 10**exponent, 0, _NUMERIC_NEG if sign_bit else _NUMERIC_POS, 0)
    dscale = -exponent
    frac_groups = (dscale + 3) >> 2
    magnitude = coefficient * 10 ** ((frac_groups << 2) - dscale)
    return _pack_numeric(magnitude, frac_groups, _NUMERIC_NEG if sign_bit else _NUMERIC_POS, dscale)


def encode_timestamptz(value: datetime) -> bytes:
    """An aware datetime as int64 microseconds since 2000-01-01 UTC (naive is refused)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise CopyEncodingError(f"naive datetime {value!r} for a TIMESTAMPTZ column")
    return _I8.pack(8, (value - PG_EPOCH) // _ONE_US)


def encode_text(value: str) -> bytes:
    data = value.encode("utf-8")
    if "\x00" in value:
        raise CopyEncodingError("text values cannot contain NUL characters")
    return struct.pack("!i", len(data)) + data


def encode_int2(value: int) -> bytes:
    return _I2.pack(2, value)


def encode_int4(value: int) -> bytes:
    return _I4.pack(4, value)


def encode_int8(value: int) -> bytes:
    return _I8.pack(8, value)


def encode_float8(value: float) -> bytes:
    return _F8.pack(8, value)


def encode_bool(value: bool) -> bytes:
    return b"\x00\x00\x00\x01\x01" if value else b"\x00\x00\x00\x01\x00"


def encode_date(value: date) -> bytes:
    return _I4.pack(4, value.toordinal() - PG_EPOCH_DATE.toordinal())


def encode_uuid(value: uuid.UUID) -> bytes:
    return b"\x00\x00\x00\x10" + value.bytes


_SCALAR_ENCODERS: dict[PgType, Callable[[Any], bytes]] = {
    PgType.TEXT: encode_text,
    PgType.INT2: encode_int2,
    PgType.INT4: encode_int4,
    PgType.INT8: encode_int8,
    PgType.NUMERIC: encode_numeric,
    PgType.FLOAT8: encode_float8,
    PgType.BOOL: encode_bool,
    PgType.DATE: encode_date,
    PgType.TIMESTAMPTZ: encode_timestamptz,
    PgType.UUID: encode_uuid,
}

# Types whose values repeat within a day (symbols, prices, second-resolution times): cached.
_CACHED_TYPES = frozenset({PgType.TEXT, PgType.NUMERIC, PgType.TIMESTAMPTZ, PgType.DATE})


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True, slots=True)
class CopyColumn:
    """One target column.

    ``scale`` is a NUMERIC column's declared scale, if any: the server rescales such values on
    input, so equal Decimals may share one cached encoding. ``cached=False`` for columns whose
    values rarely repeat (a trade's value = price x volume): hashing a fresh ``Decimal`` costs
    more than encoding it.
    """

    name: str
    pg_type: PgType
    scale: int | None = None
    cached: bool = True


FieldEncoder = Callable[[Any], bytes]


def field_encoder(table: str, column: CopyColumn) -> FieldEncoder:
    """A function value -> length-prefixed field bytes (NULL-aware, cached where values repeat)."""
    encode = _SCALAR_ENCODERS[column.pg_type]
    where = f"{table}.{column.name}"

    def checked(value: Any) -> bytes:
        try:
            return encode(value)
        except CopyEncodingError as exc:
            raise CopyEncodingError(f"{where}: {exc}") from None
        except (struct.error, TypeError, AttributeError, OverflowError, ValueError) as exc:
            raise CopyEncodingError(
                f"{where}: cannot encode {value!r} as {column.pg_type.value} ({exc})"
            ) from None

    if column.pg_type not in _CACHED_TYPES or not column.cached:

        def uncached(value: Any) -> bytes:
            return _NULL if value is None else checked(value)

        if column.pg_type is PgType.NUMERIC:  # the generated row loop calls this twin directly
            uncached.fast = fast_numeric_encoder(encode_numeric)  # type: ignore[attr-defined]
        return uncached

    cache: dict[Any, bytes] = {None: _NULL}
    # Decimal('1.0') == Decimal('1.00') but their display scales differ; key an unconstrained
    # NUMERIC by its exact text so that the stored dscale is the one given.
    exact_key = column.pg_type is PgType.NUMERIC and column.scale is None

    def cached(value: Any) -> bytes:
        key = str(value) if exact_key and value is not None else value
        try:
            return cache[key]
        except KeyError:
            pass
        except TypeError as exc:  # unhashable: not a value of this column's type
            raise CopyEncodingError(f"{where}: cannot encode {value!r} ({exc})") from None
        encoded = checked(value)
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
            cache[None] = _NULL
        cache[key] = encoded
        return encoded

    cached.cache = cache  # type: ignore[attr-defined]  # read by the generated row loop
    cached.exact_key = exact_key  # type: ignore[attr-defined]
    return cached


_INLINE_STRUCTS: dict[PgType, tuple[struct.Struct, int]] = {
    PgType.INT2: (_I2, 2),
    PgType.INT4: (_I4, 4),
    PgType.INT8: (_I8, 8),
    PgType.FLOAT8: (_F8, 8),
}


def _rows_encoder(
    encoders: Sequence[FieldEncoder], columns: Sequence[CopyColumn], attributes: Sequence[str] | None = None,
) -> RowsEncoder:
    """The generated row loop for this column list (``speedups.compile_rows_encoder``)."""
    inline = [_INLINE_STRUCTS.get(c.pg_type) for c in columns]
    packers = [None if i is None else (i[0].pack, i[1]) for i in inline]
    return compile_rows_encoder(_FIELD_COUNT.pack(len(columns)), _NULL, encoders, packers, attributes)


class CopyLayout:
    """Encodes row tuples for one fixed column list into binary COPY bytes.

    Safe for one encoder thread at a time per layout; concurrent use may at worst recompute a
    cache entry (dict operations are atomic under the GIL).
    """

    def __init__(self, table: str, columns: Sequence[CopyColumn], *, attributes: Sequence[str] | None = None) -> None:
        """``attributes``: encode objects (``encode_objects``) by reading these attributes."""
        if not columns:
            raise ValueError("a COPY layout needs at least one column")
        if attributes is not None and len(attributes) != len(columns):
            raise ValueError("one attribute per column")
        self.table = table
        self.columns = tuple(columns)
        self.column_names = tuple(c.name for c in self.columns)
        self.signature = ",".join(f"{c.name}:{c.pg_type.value}" for c in self.columns)
        self._field_count = _FIELD_COUNT.pack(len(self.columns))
        self._encoders = tuple(field_encoder(table, c) for c in self.columns)
        self._fast = _rows_encoder(self._encoders, self.columns)
        self.attributes = tuple(attributes) if attributes is not None else None
        self._fast_objects = (
            _rows_encoder(self._encoders, self.columns, self.attributes) if self.attributes else None
        )

    def encode_objects(self, objects: Sequence[Any], *, header: bool = True, trailer: bool = True) -> bytes:
        """Like ``encode_rows`` for objects carrying the layout's ``attributes``."""
        if self._fast_objects is None or self.attributes is None:
            raise TypeError(f"layout {self.table} has no attribute mapping")
        parts: list[bytes] = [COPY_HEADER] if header else []
        try:
            self._fast_objects(objects, parts.extend)
        except Exception:  # noqa: BLE001 - the explaining path raises precisely
            names = self.attributes
            return self.encode_rows([tuple(getattr(o, a) for a in names) for o in objects],
                                    header=header, trailer=trailer)
        if trailer:
            parts.append(COPY_TRAILER)
        return b"".join(parts)

    def encode_rows(self, rows: Sequence[Sequence[Any]], *, header: bool = True, trailer: bool = True) -> bytes:
        """The COPY stream for ``rows``; ``header``/``trailer`` let a batch be sent in slices."""
        parts: list[bytes] = [COPY_HEADER] if header else []
        try:
            self._fast(rows, parts.extend)
        except Exception:  # noqa: BLE001 - re-run the explaining path, which raises precisely
            parts = [COPY_HEADER] if header else []
            self._encode_rows_explained(rows, parts.append)
        if trailer:
            parts.append(COPY_TRAILER)
        return b"".join(parts)

    def encode_rows_plain(self, rows: Sequence[Sequence[Any]]) -> bytes:
        """``encode_rows`` without the generated loop: the plain version it must equal."""
        parts: list[bytes] = [COPY_HEADER]
        self._encode_rows_explained(rows, parts.append)
        parts.append(COPY_TRAILER)
        return b"".join(parts)

    def _encode_rows_explained(self, rows: Iterable[Sequence[Any]], append: Callable[[bytes], None]) -> None:
        field_count = self._field_count
        encoders = self._encoders
        width = len(encoders)
        for row in rows:
            if len(row) != width:
                raise CopyEncodingError(f"{self.table}: row has {len(row)} values, expected {width}")
            append(field_count)
            for encode, value in zip(encoders, row):
                append(encode(value))
