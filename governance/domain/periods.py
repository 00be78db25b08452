"""The calendar periods spend is counted in: a jurisdiction's local day and year (its IANA time
zone, from the `time_zone` of its entry in data/jurisdictions.json) and the rolling window
before a moment. Instants are written as the decision log writes times (UTC, microseconds, Z),
so they compare as strings."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ROLLING_DAYS = 30
END_OF_TIME = "9999-12-31T23:59:59.999999Z"


@dataclass(frozen=True)
class LocalPeriods:
    """One jurisdiction's calendar at a moment: local day and year, and the UTC instants that
    bound them ([start, end))."""

    day: str  # YYYY-MM-DD, local
    year: str  # YYYY, local
    day_start: str
    day_end: str
    year_start: str
    year_end: str


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_utc(text: str) -> datetime:
    """A log time (RFC 3339 UTC with a Z) as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def local_periods(moment: datetime, zone: str) -> LocalPeriods:
    """The local day and year of `moment` in `zone`. Raises ValueError for an unknown zone."""
    return _periods(zone, moment.astimezone(_zone(zone)).date())


@functools.cache
def _zone(name: str) -> ZoneInfo:
    """Held for good: ZoneInfo's own cache keeps only the last eight zones, fewer than the
    jurisdictions every write computes, so it would reload them from disk."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


@functools.lru_cache(maxsize=256)
def _periods(zone: str, day: date) -> LocalPeriods:
    """Cached: every write computes every jurisdiction's calendar, which changes once a day."""
    tz = _zone(zone)
    start = datetime(day.year, day.month, day.day, tzinfo=tz)
    next_day = (start + timedelta(days=1)).replace(tzinfo=tz)  # wall-clock midnight, DST-proof
    return LocalPeriods(
        day=day.isoformat(),
        year=f"{day.year:04d}",
        day_start=utc_text(start),
        day_end=utc_text(next_day),
        year_start=utc_text(datetime(day.year, 1, 1, tzinfo=tz)),
        year_end=utc_text(datetime(day.year + 1, 1, 1, tzinfo=tz)),
    )


def rolling_start(moment: datetime, days: int = ROLLING_DAYS) -> str:
    return utc_text(moment - timedelta(days=days))


def jurisdiction_periods(moment: datetime, zones: Mapping[str, str]) -> dict[str, LocalPeriods]:
    """Every jurisdiction's calendar; a jurisdiction whose zone is unknown is left out (its
    rules then find no figures and the input is refused as invalid: fail closed)."""
    out: dict[str, LocalPeriods] = {}
    for code, zone in zones.items():
        try:
            out[code] = local_periods(moment, zone)
        except ValueError:
            continue
    return out
