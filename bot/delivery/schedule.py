"""When a chat's daily digest is due: pure date arithmetic, no I/O.

A chat asks for its digest at a local wall-clock time (``digest_time``, "HH:MM") on some local
weekdays, in an IANA timezone. Each such local time is a *slot*; every returned slot is an aware
UTC datetime. Daylight-saving changes follow RFC 5545 (section 3.3.5):

- 08:00 local stays 08:00 local across a change; only its UTC instant moves.
- A local time that does not exist (the spring-forward gap) is read with the UTC offset in force
  before the gap, so it moves later by the gap's length: 02:30 in Europe/Berlin on the last
  Sunday of March is sent at 03:30 CEST (01:30 UTC); on Lord Howe Island, whose gap is 30
  minutes, 02:15 becomes 02:45.
- A local time that occurs twice (the fall-back overlap) is sent once, at its first occurrence
  (``fold=0``), never again an hour later.
- The local weekday decides the day.

A slot before ``Schedule.since`` (when the schedule was last changed) is never a slot, so a user
who sets 07:00 at 07:30 gets no digest until tomorrow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LOOKBACK_DAYS = 8


@dataclass(frozen=True, slots=True)
class Schedule:
    """One chat's digest schedule. Construction validates every field (ValueError)."""

    timezone: str
    digest_time: str
    weekdays: tuple[str, ...]
    since: datetime | None = None

    def __post_init__(self) -> None:
        _zone(self.timezone)
        _clock_time(self.digest_time)
        unknown = [day for day in self.weekdays if day not in WEEKDAYS]
        if unknown:
            raise ValueError(f"unknown weekday {unknown[0]!r}: use {', '.join(WEEKDAYS)}")
        if self.since is not None:
            object.__setattr__(self, "since", _utc(self.since))

    @classmethod
    def parse(
        cls, timezone: str, digest_time: str, weekdays: str, since: datetime | None = None
    ) -> Schedule:
        """A schedule from its stored form: ``weekdays`` comma-separated, e.g. "mon,tue,wed"."""
        names = {part.strip().lower() for part in weekdays.split(",") if part.strip()}
        ordered = tuple(day for day in WEEKDAYS if day in names)
        unknown = sorted(names - set(WEEKDAYS))
        if unknown:
            raise ValueError(f"unknown weekday {unknown[0]!r}: use {', '.join(WEEKDAYS)}")
        return cls(timezone.strip(), digest_time.strip(), ordered, since)

    @property
    def zone(self) -> ZoneInfo:
        """The schedule's timezone."""
        return _zone(self.timezone)


def slot_on(day: date, digest_time: str, zone: ZoneInfo) -> datetime:
    """The UTC instant of ``digest_time`` on the local ``day`` in ``zone`` (RFC 5545 rules)."""
    return datetime.combine(day, _clock_time(digest_time), tzinfo=zone).astimezone(UTC)


def latest_slot(schedule: Schedule, now: datetime) -> datetime | None:
    """The most recent slot at or before ``now`` (looking back at most 8 days), or None."""
    zone = schedule.zone
    now = _utc(now)
    today = now.astimezone(zone).date()
    for back in range(LOOKBACK_DAYS + 1):
        slot = _slot(schedule, today - timedelta(days=back), zone)
        if slot is None or slot > now:
            continue
        return slot if schedule.since is None or slot >= schedule.since else None
    return None


def next_slot(schedule: Schedule, after: datetime) -> datetime | None:
    """The first slot strictly after ``after`` (and not before ``since``); None without weekdays."""
    if not schedule.weekdays:
        return None
    zone = schedule.zone
    after = _utc(after)
    start = max(after, schedule.since or after)
    # From the day before: a slot moved later by a gap could cross midnight.
    day = start.astimezone(zone).date() - timedelta(days=1)
    while True:
        slot = _slot(schedule, day, zone)
        if slot is not None and slot > after and slot >= start:
            return slot
        day += timedelta(days=1)


def due_slot(schedule: Schedule, now: datetime, grace: timedelta) -> datetime | None:
    """The latest slot when it is at most ``grace`` old, else None.

    Repeated calls return the same slot until the next one, so the caller keys its send on it.
    """
    slot = latest_slot(schedule, now)
    return slot if slot is not None and _utc(now) - slot <= grace else None


def _slot(schedule: Schedule, day: date, zone: ZoneInfo) -> datetime | None:
    if WEEKDAYS[day.weekday()] not in schedule.weekdays:
        return None
    return slot_on(day, schedule.digest_time, zone)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown timezone {name!r}: use an IANA name such as Europe/Berlin"
        ) from None


def _clock_time(text: str) -> time:
    hours, sep, minutes = text.partition(":")
    if (
        sep
        and len(hours) == 2
        and len(minutes) == 2
        and (hours + minutes).isascii()
        and (hours + minutes).isdigit()
        and int(hours) < 24
        and int(minutes) < 60
    ):
        return time(int(hours), int(minutes))
    raise ValueError(f"digest time {text!r} is not HH:MM (00:00 to 23:59)")


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no timezone: pass an aware datetime")
    return moment.astimezone(UTC)
