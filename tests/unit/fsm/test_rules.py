"""Booking rules: opening days and hours, the slot grid, the horizon, and their YAML form."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pytest

from services.common.errors import InvalidInput
from services.fsm.rules import BookingRules, load_rules

RULES = BookingRules()
NOW = datetime(2026, 3, 2, 10, 0)  # a Monday


def test_default_grid_runs_from_nine_to_half_past_four() -> None:
    starts = RULES.slot_starts()
    assert starts[0] == time(9, 0) and starts[-1] == time(16, 30)
    assert len(starts) == 16


@pytest.mark.parametrize(
    ("day", "code"),
    [
        (date(2026, 3, 7), "closed_day"),  # Saturday
        (date(2026, 3, 8), "closed_day"),  # Sunday
        (date(2026, 2, 27), "past"),
        (date(2026, 5, 2), "too_far"),  # today + 61
    ],
)
def test_dates_that_cannot_be_booked_are_refused_with_a_reason(day: date, code: str) -> None:
    refusal = RULES.refuse_date(day, NOW)
    assert refusal is not None and refusal.code == code
    assert refusal.reason and "-" not in refusal.reason.split(",")[0]  # spoken, not ISO


def test_today_and_today_plus_sixty_are_allowed() -> None:
    assert RULES.refuse_date(date(2026, 3, 2), NOW) is None
    assert RULES.refuse_date(date(2026, 5, 1), NOW) is None  # today + 60, a Friday


def test_today_is_refused_once_its_last_slot_has_started() -> None:
    refusal = RULES.refuse_date(date(2026, 3, 2), datetime(2026, 3, 2, 16, 30))
    assert refusal is not None and refusal.code == "past"


@pytest.mark.parametrize(
    ("moment", "code"),
    [
        (time(15, 10), "off_grid"),
        (time(10, 15), "off_grid"),
        (time(8, 30), "out_of_hours"),
        (time(17, 0), "out_of_hours"),
        (time(16, 45), "out_of_hours"),
        (time(18, 0), "out_of_hours"),
    ],
)
def test_times_off_the_grid_or_outside_hours_are_refused_not_rounded(moment: time, code: str) -> None:
    refusal = RULES.refuse_time(moment)
    assert refusal is not None and refusal.code == code


def test_off_grid_refusal_names_the_neighbouring_start_times() -> None:
    refusal = RULES.refuse_time(time(15, 10))
    assert refusal is not None
    assert "3:10 p.m." in refusal.reason and "3 p.m. or 3:30 p.m." in refusal.reason


def test_a_time_earlier_today_is_past() -> None:
    refusal = RULES.refuse_start(date(2026, 3, 2), time(9, 30), NOW)
    assert refusal is not None and refusal.code == "past" and "today" in refusal.reason
    assert RULES.refuse_start(date(2026, 3, 2), time(10, 0), NOW) is not None  # must start after now
    assert RULES.refuse_start(date(2026, 3, 2), time(10, 30), NOW) is None


def test_open_starts_leaves_out_what_has_passed() -> None:
    assert RULES.open_starts(date(2026, 3, 2), NOW)[0] == time(10, 30)
    assert RULES.open_starts(date(2026, 3, 7), NOW) == []


def test_yaml_rules_override_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    # Unquoted 9:00 is a YAML 1.1 base-60 integer; it must still mean nine o'clock.
    path.write_text(
        "days: [Monday, Wednesday, saturday]\nopens: 9:00\ncloses: '13:00'\nslot_minutes: 60\nmax_days_ahead: 14\n"
    )
    rules = load_rules(path)
    assert rules.slot_starts() == [time(9), time(10), time(11), time(12)]
    assert rules.refuse_date(date(2026, 3, 7), NOW) is None  # Saturday is open here
    refusal = rules.refuse_date(date(2026, 3, 3), NOW)
    assert refusal is not None and "Monday, Wednesday and Saturday" in refusal.reason
    assert rules.refuse_time(time(9, 30)) is not None
    assert rules.describe_grid() == "on the hour"


def test_no_file_means_the_defaults() -> None:
    assert load_rules(None) == BookingRules()


@pytest.mark.parametrize(
    "text",
    [
        "days: [funday]\n",
        "slot_minutes: 0\n",
        "colour: blue\n",
        "- a list\n",
        "opens: '16:50'\ncloses: '17:00'\n",
        "timezone: Mars/Olympus\n",
        "days: [\n",
    ],
)
def test_bad_rules_files_fail_with_a_clear_message(tmp_path: Path, text: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(InvalidInput, match="booking rules file"):
        load_rules(path)


def test_a_missing_rules_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="unreadable"):
        load_rules(tmp_path / "absent.yaml")


def test_zoned_times_are_converted_to_the_agents_wall_clock() -> None:
    zoned = datetime.fromisoformat("2026-03-02T09:00:00+00:00")
    assert RULES.to_local(zoned) == datetime(2026, 3, 2, 10, 0)  # Berlin is UTC+1 in March
    assert RULES.to_local(NOW) == NOW
