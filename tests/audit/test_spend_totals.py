"""governance/audit/spend_totals.py, on both backends: the figures read from the running totals
equal the sums of the spend rows themselves, for any spends, releases, moments and time zones
(quarter-hour and half-hour offsets, daylight saving), and a log written before the totals were
kept has them built once."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, text

from governance.audit import spend_totals
from governance.audit.factory import open_stores
from governance.audit.quota import SqlQuota
from governance.audit.sqlstore import SqlLog
from governance.domain.periods import END_OF_TIME, jurisdiction_periods, rolling_start, utc_text
from governance.domain.records import DecisionRecord, new_ulid
from tests.audit.conftest import sample_record

ZONES = {
    "NP": "Asia/Kathmandu",  # +05:45
    "IN": "Asia/Kolkata",  # +05:30
    "CA": "America/St_Johns",  # -03:30, daylight saving
    "US": "America/New_York",
    "CN": "Asia/Shanghai",
    "UK": "Europe/London",
}
BASE = datetime(2026, 3, 1, tzinfo=UTC)
_IDS = itertools.count(1)


def spend(person: str, moment: datetime, usd: int, cross_border: bool) -> DecisionRecord:
    n = next(_IDS)
    record = sample_record(n, method="eth_sendRawTransaction", outcome="allow", amount_usd=usd)
    return replace(
        record,
        id=new_ulid(1_767_225_600_000 + n),
        time=utc_text(moment),
        cross_border=cross_border,
        input={**record.input, "aggregates": {"person": person}},
    )


def expected(records: list[DecisionRecord], moment: datetime) -> dict[str, Any]:
    """The figures summed from the records themselves, window by window."""

    def total(start: str, end: str, cross_only: bool = False) -> float:
        return float(
            sum(
                r.amount_usd
                for r in records
                if start <= r.time < end and (r.cross_border or not cross_only)
            )
        )

    periods = jurisdiction_periods(moment, ZONES)
    return {
        "person_30d_usd": total(rolling_start(moment), END_OF_TIME),
        "by_jurisdiction": {
            code: {
                "day": p.day,
                "year": p.year,
                "person_daily_usd": total(p.day_start, p.day_end),
                "person_annual_usd": total(p.year_start, p.year_end),
                "person_daily_cross_border_usd": total(p.day_start, p.day_end, True),
                "person_annual_cross_border_usd": total(p.year_start, p.year_end, True),
            }
            for code, p in sorted(periods.items())
        },
    }


# Offsets from BASE, in microseconds, within about 400 days either side: often near a day's or
# a quarter hour's edge, where a total could be counted on the wrong side.
offsets = st.one_of(
    st.integers(-400 * 86_400_000_000, 400 * 86_400_000_000),
    st.builds(
        lambda day, quarter, us: day * 86_400_000_000 + quarter * 900_000_000 + us,
        st.integers(-400, 400),
        st.integers(0, 95),
        st.sampled_from([-1, 0, 1]),
    ),
)
spends = st.lists(
    st.tuples(offsets, st.integers(1, 1_000_000), st.booleans(), st.booleans()),
    max_size=25,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(spends=spends, moment_offset=offsets)
def test_figures_equal_the_sums_of_the_spend_rows(
    log_and_quota: tuple[SqlLog, SqlQuota],
    spends: list[tuple[int, int, bool, bool]],
    moment_offset: int,
) -> None:
    log, quota = log_and_quota
    person = f"p{next(_IDS)}"
    records = [
        spend(person, BASE + timedelta(microseconds=at), usd, cross) for at, usd, cross, _ in spends
    ]
    if records:
        log.append_batch(records)
    released = {r.id for r, (*_, release) in zip(records, spends, strict=True) if release}
    for decision_id in sorted(released):
        quota.unspend(decision_id)
        quota.unspend(decision_id)  # a second release takes nothing off
    counted = [r for r in records if r.id not in released]
    moment = BASE + timedelta(microseconds=moment_offset)
    figures = quota.totals(person, moment, ZONES)
    assert figures == {"person": person, **expected(counted, moment)}


def test_a_log_written_before_the_totals_has_them_built_once(
    store_url: str, log_and_quota: tuple[SqlLog, SqlQuota]
) -> None:
    log, quota = log_and_quota
    moment = datetime(2026, 6, 1, 12, tzinfo=UTC)
    records = [
        spend("old", moment - timedelta(hours=h), 100 * (h + 1), h % 2 == 0) for h in range(48)
    ]
    log.append_batch(records)
    with quota.engine.begin() as conn:  # as a gateway of before left it
        conn.execute(text("DELETE FROM spend_totals"))
    reopened_log, reopened = open_stores(store_url)
    try:
        assert reopened.totals("old", moment, ZONES) == {
            "person": "old",
            **expected(records, moment),
        }
        reopened.build_totals()  # built once: a second call changes nothing
        with reopened.engine.connect() as conn:
            rows = conn.execute(text("SELECT COUNT(*) FROM spend_totals")).scalar()
        reopened_log.append_batch([spend("old", moment, 5, False)])
        with reopened.engine.connect() as conn:
            assert spend_totals.built(conn)
            after = conn.execute(text("SELECT COUNT(*) FROM spend_totals")).scalar()
        assert rows is not None and after in (rows, rows + 1, rows + 2)
        assert (
            reopened.totals("old", moment, ZONES)["by_jurisdiction"]["US"]["person_daily_usd"]
            == expected(records, moment)["by_jurisdiction"]["US"]["person_daily_usd"] + 5
        )
    finally:
        reopened.close()
        reopened_log.close()


def test_reading_figures_does_not_read_every_spend_row(
    log_and_quota: tuple[SqlLog, SqlQuota],
) -> None:
    """A year of spends, one every six hours: the figures come from the totals, and the spend
    rows read are only those of the quarter hour that the rolling window's start cuts."""
    log, quota = log_and_quota
    moment = datetime(2026, 12, 3, 12, 7, tzinfo=UTC)
    records = [spend("busy", moment - timedelta(hours=6 * h), 10, False) for h in range(1, 1460)]
    log.append_batch(records)
    quota.build_totals()
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(quota.engine, "before_cursor_execute", seen)
    figures = quota.totals("busy", moment, ZONES)
    event.remove(quota.engine, "before_cursor_execute", seen)
    assert figures == {"person": "busy", **expected(records, moment)}
    reading_rows = [s for s in statements if "FROM spend " in s or s.endswith("FROM spend")]
    assert len(reading_rows) == 1 and "time >= " in reading_rows[0]
