"""Booking rules of one agent: opening days and hours, slot grid, horizon.

The rules are per agent: a YAML file named by ``VA_BOOKING_RULES_FILE`` (for
example a ConfigMap the operator mounts); every key is optional and the
defaults are the institute's::

    days: [monday, tuesday, wednesday, thursday, friday]
    opens: "09:00"          # first start time
    closes: "17:00"         # the last slot ends here (so the last start is 16:30)
    slot_minutes: 30        # starts lie on this grid from `opens`; others are refused, never rounded
    max_days_ahead: 60      # today + 60 is still bookable
    timezone: Europe/Berlin # the wall clock of an empty `now`, and of a zoned one
    alternatives: 3         # free slots offered when the requested one is taken

Every refusal carries a stable code and a clause the voice can say, explaining
why the value cannot be booked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from services.common.errors import InvalidInput
from services.fsm.speech import ordinal, say_date, say_list, say_time

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Refusal:
    """Why a requested value cannot be booked: ``code`` for machines, ``reason`` to be spoken."""

    code: str  # past, too_far, closed_day, out_of_hours, off_grid, taken, fully_booked
    reason: str  # a clause without final punctuation: "Saturday … is a weekend day"


class BookingRules(BaseModel):
    """When appointments can start. Times are the agent's local wall-clock time."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    days: tuple[str, ...] = Field(WEEKDAYS[:5], description="Weekdays with advising, lowercase English names")
    opens: time = Field(time(9, 0), description="First start time")
    closes: time = Field(time(17, 0), description="Closing time; the last slot ends here")
    slot_minutes: int = Field(30, ge=5, le=240, description="Slot length; starts are on this grid from `opens`")
    max_days_ahead: int = Field(60, ge=0, le=366, description="Latest bookable day, counted from today")
    timezone: str = Field("Europe/Berlin", description="IANA zone of the agent's wall clock")
    alternatives: int = Field(3, ge=1, le=10, description="How many free slots to offer when one is taken")

    @field_validator("days")
    @classmethod
    def _known_days(cls, days: tuple[str, ...]) -> tuple[str, ...]:
        names = tuple(day.strip().lower() for day in days)
        unknown = [day for day in names if day not in WEEKDAYS]
        if unknown or not names:
            raise ValueError(f"days must be a non-empty list of weekday names, got {list(days)}")
        return names

    @field_validator("opens", "closes", mode="before")
    @classmethod
    def _sexagesimal(cls, value: object) -> object:
        # YAML 1.1 reads an unquoted 17:00 as the base-60 integer 1020 (minutes since midnight).
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
            return time(value // 60, value % 60)
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {zone!r}") from None
        return zone

    @model_validator(mode="after")
    def _room_for_a_slot(self) -> BookingRules:
        if not self.slot_starts():
            raise ValueError("closes must leave room for at least one slot after opens")
        return self

    # --- the grid -------------------------------------------------------------------------------

    def slot_starts(self) -> list[time]:
        """Every start time of a working day, in order (09:00 … 16:30 by default)."""
        first = datetime.combine(date.min, self.opens)
        last = datetime.combine(date.min, self.closes) - timedelta(minutes=self.slot_minutes)
        starts = []
        while first <= last:
            starts.append(first.time())
            first += timedelta(minutes=self.slot_minutes)
        return starts

    def is_open_on(self, day: date) -> bool:
        return WEEKDAYS[day.weekday()] in self.days

    def last_day(self, now: datetime) -> date:
        return now.date() + timedelta(days=self.max_days_ahead)

    def local_now(self) -> datetime:
        """The agent's wall clock now, without a zone (the form every ``now`` takes here)."""
        return datetime.now(ZoneInfo(self.timezone)).replace(tzinfo=None)

    def to_local(self, moment: datetime) -> datetime:
        """A zoned moment converted to the agent's wall clock; a naive one is already local."""
        if moment.tzinfo is None:
            return moment
        return moment.astimezone(ZoneInfo(self.timezone)).replace(tzinfo=None)

    # --- refusals -------------------------------------------------------------------------------

    def refuse_date(self, day: date, now: datetime) -> Refusal | None:
        """Why nothing can be booked on ``day`` (ignoring other callers' bookings), or None."""
        today = now.date()
        if day < today:
            return Refusal("past", f"{say_date(day)} has already passed")
        if day > self.last_day(now):
            return Refusal(
                "too_far",
                f"{say_date(day)} is more than {self.max_days_ahead} days ahead; "
                f"the latest day I can book is {say_date(self.last_day(now))}",
            )
        if not self.is_open_on(day):
            return Refusal(
                "closed_day",
                f"{day:%B} {ordinal(day.day)} is a {day:%A}, and advising is only open {self.describe_days()}",
            )
        if day == today and not self.open_starts(day, now):
            return Refusal(
                "past",
                f"there are no appointment times left today; the last one starts at {say_time(self.slot_starts()[-1])}",
            )
        return None

    def refuse_time(self, moment: time) -> Refusal | None:
        """Why ``moment`` is never a start time (outside hours or off the grid), or None."""
        starts = self.slot_starts()
        if moment < starts[0] or moment > starts[-1]:
            return Refusal(
                "out_of_hours",
                f"{say_time(moment)} is outside advising hours; appointments start "
                f"between {say_time(starts[0])} and {say_time(starts[-1])}",
            )
        if moment not in starts:
            return Refusal(
                "off_grid",
                f"appointments start {self.describe_grid()}, so I can't book "
                f"{say_time(moment)}; {say_list(self._neighbours(moment))} would work",
            )
        return None

    def refuse_start(self, day: date, moment: time, now: datetime) -> Refusal | None:
        """Why this date and time together cannot start an appointment (already passed), or None."""
        if datetime.combine(day, moment) <= now:
            when = "today" if day == now.date() else f"on {say_date(day)}"
            return Refusal("past", f"{say_time(moment)} {when} has already passed")
        return None

    def open_starts(self, day: date, now: datetime) -> list[time]:
        """Start times on ``day`` that are still ahead of ``now`` (all of them on an open future day)."""
        if not self.is_open_on(day) or day < now.date() or day > self.last_day(now):
            return []
        return [start for start in self.slot_starts() if datetime.combine(day, start) > now]

    # --- descriptions ---------------------------------------------------------------------------

    def describe_days(self) -> str:
        indices = sorted(WEEKDAYS.index(day) for day in self.days)
        names = [WEEKDAYS[i].capitalize() for i in indices]
        if len(indices) > 2 and indices == list(range(indices[0], indices[-1] + 1)):
            return f"{names[0]} to {names[-1]}"
        return f"on {say_list(names, 'and')}"

    def describe_grid(self) -> str:
        if self.opens.minute == 0 and self.slot_minutes == 60:
            return "on the hour"
        if self.opens.minute in (0, 30) and self.slot_minutes == 30:
            return "on the hour or at half past"
        return f"every {self.slot_minutes} minutes from {say_time(self.opens)}"

    def _neighbours(self, moment: time) -> list[str]:
        starts = self.slot_starts()
        before = [start for start in starts if start < moment][-1:]
        after = [start for start in starts if start > moment][:1]
        return [say_time(start) for start in before + after]


def load_rules(path: Path | None) -> BookingRules:
    """The rules from a YAML mapping (missing keys keep their defaults); defaults when no file."""
    if path is None:
        return BookingRules()
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as error:
        raise InvalidInput(f"booking rules file {path} is unreadable: {error}") from None
    if not isinstance(raw, dict):
        raise InvalidInput(f"booking rules file {path} must hold a mapping of rule names to values")
    try:
        return BookingRules.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'rules'}: {item['msg']}" for item in error.errors()
        )
        raise InvalidInput(f"booking rules file {path}: {problems}") from None
