"""Local days and years of a jurisdiction at a moment, as the aggregates cut them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from governance.domain.periods import (
    jurisdiction_periods,
    local_periods,
    parse_utc,
    rolling_start,
    utc_text,
)
from tests.conftest import ROOT


def at(text: str) -> datetime:
    return parse_utc(text)


def test_half_past_eleven_utc_is_the_next_day_in_china() -> None:
    p = local_periods(at("2026-11-26T23:30:00.000000Z"), "Asia/Shanghai")
    assert (p.day, p.year) == ("2026-11-27", "2026")
    assert (p.day_start, p.day_end) == (
        "2026-11-26T16:00:00.000000Z",
        "2026-11-27T16:00:00.000000Z",
    )


def test_the_chinese_year_starts_at_16_utc_on_new_years_eve() -> None:
    before = local_periods(at("2026-12-31T15:59:59.999999Z"), "Asia/Shanghai")
    after = local_periods(at("2026-12-31T16:00:00.000000Z"), "Asia/Shanghai")
    assert (before.year, after.year) == ("2026", "2027")
    assert after.year_start == "2026-12-31T16:00:00.000000Z"
    assert after.year_end == "2027-12-31T16:00:00.000000Z"


def test_a_daylight_saving_day_is_23_hours_long() -> None:
    p = local_periods(at("2026-03-08T12:00:00.000000Z"), "America/New_York")
    assert (p.day_start, p.day_end) == (
        "2026-03-08T05:00:00.000000Z",
        "2026-03-09T04:00:00.000000Z",
    )


def test_the_rolling_window_starts_30_days_before() -> None:
    assert rolling_start(at("2026-03-31T10:00:00.000000Z")) == "2026-03-01T10:00:00.000000Z"


def test_times_are_written_as_the_log_writes_them() -> None:
    assert utc_text(datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC)) == "2026-01-02T03:04:05.000006Z"


def test_an_unknown_zone_is_refused_and_left_out() -> None:
    with pytest.raises(ValueError, match="Mars/Base"):
        local_periods(at("2026-01-01T00:00:00.000000Z"), "Mars/Base")
    moment = at("2026-01-01T00:00:00.000000Z")
    assert set(jurisdiction_periods(moment, {"CN": "Asia/Shanghai", "XX": "Mars/Base"})) == {"CN"}


def test_every_shipped_jurisdiction_has_a_zone_zoneinfo_knows() -> None:
    shipped = json.loads((ROOT / "policies" / "data" / "jurisdictions.json").read_text())
    zones = {j: v["time_zone"] for j, v in shipped.items() if isinstance(v, dict)}
    assert len(zones) == 9 and zones["CN"] == "Asia/Shanghai" and zones["US"] == "America/New_York"
    assert set(jurisdiction_periods(at("2026-01-01T00:00:00.000000Z"), zones)) == set(zones)
