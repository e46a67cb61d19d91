"""Request field checks and the stored form of a flow."""

from __future__ import annotations

from datetime import datetime

import pytest

from services.common.errors import InvalidInput
from services.fsm import inputs
from services.fsm.flow import Appointment, Flow, Slots, Stage
from services.fsm.rules import BookingRules

RULES = BookingRules()


@pytest.mark.parametrize("value", ["", "a b", "x" * 129, "semi;colon", "ü"])
def test_bad_session_ids(value: str) -> None:
    with pytest.raises(InvalidInput):
        inputs.session_id(value)


def test_text_must_be_present_and_at_most_2000_characters() -> None:
    assert inputs.utterance("  hi  ") == "hi"
    assert inputs.utterance("x" * 2000) == "x" * 2000
    assert inputs.utterance("", required=False) == ""
    for bad in ["", "   ", "x" * 2001]:
        with pytest.raises(InvalidInput):
            inputs.utterance(bad)


def test_now_is_parsed_converted_or_taken_from_the_clock() -> None:
    assert inputs.now("2026-03-02T10:00:00", RULES) == datetime(2026, 3, 2, 10, 0)
    assert inputs.now("2026-03-02T09:00:00Z", RULES) == datetime(2026, 3, 2, 10, 0)
    assert abs((inputs.now("", RULES) - RULES.local_now()).total_seconds()) < 5
    for bad in ["garbage", "2026-13-01T10:00", "tomorrow"]:
        with pytest.raises(InvalidInput, match="ISO"):
            inputs.now(bad, RULES)


def test_dates_times_and_limits() -> None:
    assert inputs.day("2026-03-05") == "2026-03-05"
    assert inputs.clock("09:30") == "09:30"
    assert inputs.list_limit(0) == inputs.DEFAULT_LIST_LIMIT and inputs.list_limit(5) == 5
    for bad_day in ["2026-3-5", "20260305", "2026-02-30", "x"]:
        with pytest.raises(InvalidInput):
            inputs.day(bad_day)
    for bad_clock in ["9:30", "25:00", "09:60", "0930"]:
        with pytest.raises(InvalidInput):
            inputs.clock(bad_clock)
    for bad_limit in [-1, 201]:
        with pytest.raises(InvalidInput):
            inputs.list_limit(bad_limit)


def test_a_flow_round_trips_through_json() -> None:
    appointment = Appointment(
        code="K7M4PR",
        date="2026-03-05",
        time="10:00",
        purpose="thesis",
        user_name="Lena",
        status="booked",
        created_at="2026-03-02T09:00:00+00:00",
        session_id="s",
    )
    flow = Flow(
        session_id="s",
        flow_id="f",
        stage=Stage.COMPLETED,
        failed_attempts=2,
        appointment=appointment,
        slots=Slots(preferred_date="2026-03-05", preferred_time="10:00", purpose="thesis", user_name="Lena"),
        prompt="booked",
    )
    assert Flow.model_validate_json(flow.model_dump_json()) == flow
    assert flow.finished and flow.expecting is None


def test_expecting_follows_the_stage() -> None:
    assert Flow(session_id="s", flow_id="f").expecting is None
    assert Flow(session_id="s", flow_id="f", stage=Stage.WAITING_FOR_NAME).expecting == "user_name"
    assert Flow(session_id="s", flow_id="f", stage=Stage.CONFIRMATION).expecting == "confirmation"
