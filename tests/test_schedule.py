"""When a chat's digest is due, across daylight-saving changes, weekdays, schedule changes and
downtime. The clock is the `now` passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.delivery.schedule import Schedule, due_slot, latest_slot, next_slot

EVERY_DAY = "mon,tue,wed,thu,fri,sat,sun"
GRACE = timedelta(hours=2)


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)  # type: ignore[misc]


def local(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %z")


@pytest.mark.parametrize(
    ("zone", "now", "slot_utc", "slot_local"),
    [
        # Europe/Berlin: last Sunday of March and of October 2026
        ("Europe/Berlin", utc(2026, 3, 28, 12), utc(2026, 3, 28, 7), "2026-03-28 08:00 +0100"),
        ("Europe/Berlin", utc(2026, 3, 29, 12), utc(2026, 3, 29, 6), "2026-03-29 08:00 +0200"),
        ("Europe/Berlin", utc(2026, 10, 24, 12), utc(2026, 10, 24, 6), "2026-10-24 08:00 +0200"),
        ("Europe/Berlin", utc(2026, 10, 25, 12), utc(2026, 10, 25, 7), "2026-10-25 08:00 +0100"),
        # America/New_York: second Sunday of March, first Sunday of November 2026
        ("America/New_York", utc(2026, 3, 7, 18), utc(2026, 3, 7, 13), "2026-03-07 08:00 -0500"),
        ("America/New_York", utc(2026, 3, 8, 18), utc(2026, 3, 8, 12), "2026-03-08 08:00 -0400"),
        (
            "America/New_York",
            utc(2026, 10, 31, 18),
            utc(2026, 10, 31, 12),
            "2026-10-31 08:00 -0400",
        ),
        ("America/New_York", utc(2026, 11, 1, 18), utc(2026, 11, 1, 13), "2026-11-01 08:00 -0500"),
        # Australia/Lord_Howe: +10:30 until the first Sunday of October, +11:00 after
        (
            "Australia/Lord_Howe",
            utc(2026, 10, 3, 0),
            utc(2026, 10, 2, 21, 30),
            "2026-10-03 08:00 +1030",
        ),
        (
            "Australia/Lord_Howe",
            utc(2026, 10, 4, 0),
            utc(2026, 10, 3, 21),
            "2026-10-04 08:00 +1100",
        ),
    ],
)
def test_eight_o_clock_stays_eight_o_clock_local_across_dst(
    zone: str, now: datetime, slot_utc: datetime, slot_local: str
) -> None:
    slot = latest_slot(Schedule.parse(zone, "08:00", EVERY_DAY), now)
    assert slot == slot_utc
    assert local(slot, zone) == slot_local


@pytest.mark.parametrize(
    ("zone", "digest_time", "gap_day", "slot_utc", "slot_local"),
    [
        ("Europe/Berlin", "02:30", utc(2026, 3, 29, 12), utc(2026, 3, 29, 1, 30), "03:30 +0200"),
        ("America/New_York", "02:30", utc(2026, 3, 8, 18), utc(2026, 3, 8, 7, 30), "03:30 -0400"),
        (
            "Australia/Lord_Howe",
            "02:15",
            utc(2026, 10, 4, 0),
            utc(2026, 10, 3, 15, 45),
            "02:45 +1100",
        ),
    ],
)
def test_a_time_in_the_spring_gap_is_sent_later_by_the_gap(
    zone: str, digest_time: str, gap_day: datetime, slot_utc: datetime, slot_local: str
) -> None:
    schedule = Schedule.parse(zone, digest_time, EVERY_DAY)
    slot = latest_slot(schedule, gap_day)
    assert slot == slot_utc
    assert local(slot, zone).endswith(slot_local)
    assert due_slot(schedule, slot - timedelta(minutes=1), GRACE) is None
    assert due_slot(schedule, slot, GRACE) == slot


@pytest.mark.parametrize(
    ("zone", "digest_time", "first", "second", "next_day"),
    [
        (
            "Europe/Berlin",
            "02:30",
            utc(2026, 10, 25, 0, 30),
            utc(2026, 10, 25, 1, 30),
            utc(2026, 10, 26, 1, 30),
        ),
        (
            "America/New_York",
            "01:30",
            utc(2026, 11, 1, 5, 30),
            utc(2026, 11, 1, 6, 30),
            utc(2026, 11, 2, 6, 30),
        ),
        (
            "Australia/Lord_Howe",
            "01:45",
            utc(2026, 4, 4, 14, 45),
            utc(2026, 4, 4, 15, 15),
            utc(2026, 4, 5, 15, 15),
        ),
    ],
)
def test_a_time_that_occurs_twice_is_sent_once_at_its_first_occurrence(
    zone: str, digest_time: str, first: datetime, second: datetime, next_day: datetime
) -> None:
    schedule = Schedule.parse(zone, digest_time, EVERY_DAY)
    # Both instants read as the same local wall-clock time.
    assert local(first, zone)[11:16] == local(second, zone)[11:16] == digest_time
    assert due_slot(schedule, first, GRACE) == first
    assert due_slot(schedule, second, GRACE) == first  # the same slot, so no second send
    assert next_slot(schedule, first) == next_day


def test_kolkata_quarter_past_midnight_falls_on_the_previous_utc_day() -> None:
    schedule = Schedule.parse("Asia/Kolkata", "00:15", "wed")
    slot = latest_slot(schedule, utc(2026, 6, 12))
    assert slot == utc(2026, 6, 9, 18, 45)  # a Tuesday in UTC, Wednesday 10 June in Kolkata
    assert local(slot, "Asia/Kolkata") == "2026-06-10 00:15 +0530"
    assert next_slot(schedule, slot) == utc(2026, 6, 16, 18, 45)


def test_a_weekday_chat_on_saturday_has_fridays_slot() -> None:
    schedule = Schedule.parse("Europe/Berlin", "07:00", "mon,tue,wed,thu,fri")
    saturday = utc(2026, 6, 13, 9)
    assert latest_slot(schedule, saturday) == utc(2026, 6, 12, 5)
    assert due_slot(schedule, saturday, GRACE) is None
    assert next_slot(schedule, saturday) == utc(2026, 6, 15, 5)  # Monday


def test_a_slot_before_the_schedule_changed_is_not_due() -> None:
    changed = utc(2026, 6, 10, 5, 30)  # 07:30 in Berlin
    schedule = Schedule.parse("Europe/Berlin", "07:00", EVERY_DAY, since=changed)
    assert latest_slot(schedule, utc(2026, 6, 10, 5, 45)) is None
    assert due_slot(schedule, utc(2026, 6, 10, 5, 45), GRACE) is None
    assert next_slot(schedule, changed) == utc(2026, 6, 11, 5)
    assert due_slot(schedule, utc(2026, 6, 11, 5), GRACE) == utc(2026, 6, 11, 5)


def test_a_later_time_set_the_same_morning_is_due_today() -> None:
    changed = utc(2026, 6, 10, 5, 30)
    schedule = Schedule.parse("Europe/Berlin", "08:00", EVERY_DAY, since=changed)
    assert due_slot(schedule, utc(2026, 6, 10, 6), GRACE) == utc(2026, 6, 10, 6)


def test_a_naive_since_is_refused() -> None:
    """The store returns aware times (tests/test_store.py): a naive one is a caller's bug."""
    with pytest.raises(ValueError, match="no timezone"):
        Schedule.parse("Europe/Berlin", "07:00", EVERY_DAY, since=datetime(2026, 6, 10, 5, 30))


def test_a_since_in_another_zone_is_the_same_instant() -> None:
    berlin = datetime(2026, 6, 10, 7, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    schedule = Schedule.parse("Europe/Berlin", "07:00", EVERY_DAY, since=berlin)
    assert schedule.since == utc(2026, 6, 10, 5, 30)
    assert latest_slot(schedule, utc(2026, 6, 10, 5, 45)) is None


def test_grace_decides_whether_a_missed_slot_is_still_sent() -> None:
    schedule = Schedule.parse("Europe/Berlin", "07:00", EVERY_DAY)
    slot = utc(2026, 6, 10, 5)
    assert due_slot(schedule, slot + timedelta(hours=3), GRACE) is None
    # Down for 30 minutes: due on coming back, and the same slot on every later call.
    back = slot + timedelta(minutes=30)
    assert [due_slot(schedule, back + timedelta(minutes=m), GRACE) for m in (0, 1, 89)] == [
        slot
    ] * 3
    assert due_slot(schedule, slot + GRACE + timedelta(seconds=1), GRACE) is None


def test_three_days_down_yields_only_the_latest_slot() -> None:
    schedule = Schedule.parse("Europe/Berlin", "07:00", EVERY_DAY)
    went_down = utc(2026, 6, 10, 4)
    came_back = went_down + timedelta(days=3, hours=1, minutes=30)  # 07:30 local, 13 June
    due = {due_slot(schedule, came_back + timedelta(minutes=m), GRACE) for m in range(0, 90, 5)}
    assert due == {utc(2026, 6, 13, 5)}
    assert due_slot(schedule, went_down + timedelta(days=3, hours=4), GRACE) is None


def test_next_slot_is_strictly_after() -> None:
    schedule = Schedule.parse("UTC", "07:00", EVERY_DAY)
    assert next_slot(schedule, utc(2026, 6, 10, 7)) == utc(2026, 6, 11, 7)
    assert next_slot(schedule, utc(2026, 6, 10, 6, 59)) == utc(2026, 6, 10, 7)


def test_now_in_any_zone_is_the_same_instant() -> None:
    schedule = Schedule.parse("Europe/Berlin", "07:00", EVERY_DAY)
    tokyo = utc(2026, 6, 10, 5, 30).astimezone(ZoneInfo("Asia/Tokyo"))
    assert due_slot(schedule, tokyo, GRACE) == utc(2026, 6, 10, 5)


def test_parse_reads_the_stored_weekdays() -> None:
    schedule = Schedule.parse("Europe/Berlin", "07:00", " fri, Mon,tue,,mon ")
    assert schedule.weekdays == ("mon", "tue", "fri")


def test_no_weekdays_means_no_slot() -> None:
    schedule = Schedule.parse("Europe/Berlin", "07:00", "")
    assert latest_slot(schedule, utc(2026, 6, 10, 12)) is None
    assert next_slot(schedule, utc(2026, 6, 10, 12)) is None


@pytest.mark.parametrize(
    ("timezone", "digest_time", "weekdays", "message"),
    [
        ("Europe/Berlinn", "07:00", "mon", "unknown timezone 'Europe/Berlinn'"),
        ("../etc/passwd", "07:00", "mon", "unknown timezone"),
        ("", "07:00", "mon", "unknown timezone"),
        ("Europe/Berlin", "7:00", "mon", "not HH:MM"),
        ("Europe/Berlin", "24:00", "mon", "not HH:MM"),
        ("Europe/Berlin", "07:60", "mon", "not HH:MM"),
        ("Europe/Berlin", "07:00", "mon,funday", "unknown weekday 'funday'"),
    ],
)
def test_a_bad_schedule_is_refused_when_parsed(
    timezone: str, digest_time: str, weekdays: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Schedule.parse(timezone, digest_time, weekdays)


def test_a_naive_now_is_refused() -> None:
    schedule = Schedule.parse("Europe/Berlin", "07:00", EVERY_DAY)
    with pytest.raises(ValueError, match="no timezone"):
        latest_slot(schedule, datetime(2026, 6, 10, 12))


ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"]
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@settings(max_examples=400, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    weekdays=st.sets(st.sampled_from(DAYS), min_size=1),
    now=st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31, 23, 59), timezones=st.just(UTC)),
)
def test_slots_keep_their_local_time_and_bracket_now(
    zone: str, hour: int, minute: int, weekdays: set[str], now: datetime
) -> None:
    digest_time = f"{hour:02d}:{minute:02d}"
    schedule = Schedule.parse(zone, digest_time, ",".join(weekdays))
    slot = latest_slot(schedule, now)
    assert slot is not None and slot.tzinfo is UTC
    following = next_slot(schedule, slot)
    assert following is not None
    assert slot <= now < following

    tz = ZoneInfo(zone)
    seen = slot.astimezone(tz).replace(tzinfo=None)
    assert DAYS[seen.weekday()] in weekdays
    wanted = seen.replace(hour=hour, minute=minute)
    first = wanted.replace(tzinfo=tz, fold=0)
    after = wanted.replace(tzinfo=tz, fold=1)
    gap = after.utcoffset() - first.utcoffset()  # type: ignore[operator]
    exists = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wanted
    assert seen == (wanted if exists else wanted + gap)
    if exists:  # and when it occurs twice, the first time
        assert slot == first.astimezone(UTC)
