"""Running totals of each person's spend per UTC day and per quarter hour, kept beside the spend
rows in the same transactions, so that the figures read before every write cost the same after
a million writes as after ten.

Summing the spend rows themselves read every row of the person's last year: 0.5 ms at 1,000
rows, 68 ms at 100,000, 842 ms at a million (docs/performance.md, "How cost grows"), and a
person's writes wait for each other's figures. A window [start, end) is now summed from

- the day totals of the UTC days that lie inside one segment between two bounds,
- the quarter-hour totals of the other days (a local midnight cuts a UTC day; every time zone
  in use is a whole number of quarter hours from UTC),
- and the spend rows themselves only in a quarter hour that a bound cuts (the rolling window's
  start): at most a quarter hour of one person's rows per such bound.

Totals count unreleased spend only: a release subtracts what its write added."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import timedelta

from sqlalchemy.engine import Connection

from governance.audit.db import insert_rows
from governance.domain.periods import parse_utc, utc_text

DAY, QUARTER = "d", "q"
TOTAL_COLUMNS = ("person", "span", "start", "usd", "cross_border_usd")
# The row that says the totals were built from the spend rows (once per database).
BUILT = ("", "built", "")
_QUARTER = timedelta(minutes=15)
_ABOVE_ALL = "9999-99"  # above every time, END_OF_TIME included

Spend = tuple[str, str, float, bool]  # person, time, amount, cross-border


def day_start(instant: str) -> str:
    return instant[:10] + "T00:00:00.000000Z"


def quarter_start(instant: str) -> str:
    minute = int(instant[14:16]) // 15 * 15
    return f"{instant[:14]}{minute:02d}:00.000000Z"


def _next(start: str, span: str) -> str:
    """The start of the next day or quarter hour; past the calendar's last day, a text above
    every time (the last day holds END_OF_TIME, a bound)."""
    step = timedelta(days=1) if span == DAY else _QUARTER
    try:
        return utc_text(parse_utc(start) + step)
    except OverflowError:
        return _ABOVE_ALL


def add(conn: Connection, spends: Iterable[Spend], postgres: bool, sign: float = 1.0) -> None:
    """Adds (or, with sign -1, takes away) spends to their day and quarter-hour totals."""
    sums: dict[tuple[str, str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for person, time, amount, cross_border in spends:
        for span, start in ((DAY, day_start(time)), (QUARTER, quarter_start(time))):
            total = sums[(person, span, start)]
            total[0] += sign * amount
            total[1] += sign * amount if cross_border else 0.0
    if not sums:
        return
    rows = [(*key, usd, cross) for key, (usd, cross) in sorted(sums.items())]
    upsert = (
        " ON CONFLICT (person, span, start) DO UPDATE SET"
        " usd = spend_totals.usd + excluded.usd,"
        " cross_border_usd = spend_totals.cross_border_usd + excluded.cross_border_usd"
    )
    insert_rows(conn, "spend_totals", TOTAL_COLUMNS, postgres, rows, suffix=upsert)


def rebuild(conn: Connection, postgres: bool) -> int:
    """Replaces every total by the sums of the unreleased spend rows and marks the totals
    built; the number of spend rows counted. Idempotent: run in the append transaction's
    lock, by whichever process opens the database first."""
    conn.exec_driver_sql("DELETE FROM spend_totals")
    rows = conn.exec_driver_sql(
        "SELECT person, time, amount_usd, cross_border FROM spend WHERE NOT released"
    ).all()
    add(conn, ((str(r[0]), str(r[1]), float(r[2]), bool(r[3])) for r in rows), postgres)
    insert_rows(conn, "spend_totals", TOTAL_COLUMNS, postgres, [(*BUILT, 0.0, 0.0)])
    return len(rows)


def built(conn: Connection) -> bool:
    found = conn.exec_driver_sql(
        "SELECT 1 FROM spend_totals WHERE person = '' AND span = 'built'"
    ).first()
    return found is not None


def segment_sums(
    conn: Connection, person: str, bounds: Sequence[str], postgres: bool
) -> dict[int, tuple[float, float]]:
    """(all, cross-border) per segment between consecutive bounds b0 < b1 < ... (segment i is
    [b_i, b_i+1), the last one open), over the person's unreleased spend from b0 on."""
    first = bounds[0]
    cut_days = sorted({day_start(b) for b in bounds if day_start(b) != b})
    cut_quarters = sorted({quarter_start(b) for b in bounds if quarter_start(b) != b})
    day_ranges = [(first, _ABOVE_ALL)]
    quarter_ranges = _clipped([(d, _next(d, DAY)) for d in cut_days], first)
    row_ranges = _clipped([(q, _next(q, QUARTER)) for q in cut_quarters], first)
    out: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for source, ranges, excluded, keys in (
        (_TOTALS, day_ranges, cut_days, (person, DAY)),
        (_TOTALS, quarter_ranges, cut_quarters, (person, QUARTER)),
        (_ROWS, row_ranges, [], (person,)),
    ):
        if not ranges:
            continue
        sql = _sum_sql(source, len(bounds), len(ranges), len(excluded), postgres)
        params = (*bounds[1:], *[x for lo, hi in ranges for x in (*keys, lo, hi)], *excluded)
        for segment, usd, cross in conn.exec_driver_sql(sql, params).all():
            total = out[int(segment)]
            total[0] += float(usd or 0)
            total[1] += float(cross or 0)
    return {segment: (usd, cross) for segment, (usd, cross) in out.items()}


# (key, amount, cross-border amount, table and condition) of each source of sums.
_TOTALS = ("start", "usd", "cross_border_usd", "spend_totals WHERE person = ? AND span = ?")
_ROWS = (
    "time",
    "amount_usd",
    "CASE WHEN cross_border THEN amount_usd ELSE 0 END",
    "spend WHERE person = ? AND NOT released",
)


def _clipped(ranges: list[tuple[str, str]], first: str) -> list[tuple[str, str]]:
    """The ranges from `first` on; those wholly before it are dropped."""
    return [(max(lo, first), hi) for lo, hi in ranges if hi > first]


@functools.cache
def _sum_sql(
    source: tuple[str, str, str, str], bounds: int, ranges: int, excluded: int, postgres: bool
) -> str:
    """Sums per segment of one source over `ranges` ranges of its key, one indexed range
    read each (a single condition OR-ing the ranges made SQLite scan every row from b0),
    leaving out `excluded` keys."""
    key, amount, cross, table = source
    part = (
        f"SELECT {key} AS k, {amount} AS a, {cross} AS c FROM {table} AND {key} >= ? AND {key} < ?"
    )
    steps = " ".join(f"WHEN k < ? THEN {i}" for i in range(bounds - 1))
    segment = f"CASE {steps} ELSE {bounds - 1} END" if bounds > 1 else "0"
    sql = f"SELECT {segment}, SUM(a), SUM(c) FROM ({' UNION ALL '.join([part] * ranges)}) AS x"
    if excluded:
        sql += f" WHERE k NOT IN ({', '.join(['?'] * excluded)})"
    sql += " GROUP BY 1"
    return sql.replace("?", "%s") if postgres else sql
