"""Entity extraction: the resolution rules of the data README, written and ASR-style."""

from __future__ import annotations

from datetime import datetime

import pytest

from services.intent.entities import Entities, extract_entities

WEDNESDAY = datetime(2026, 6, 10, 10, 30)  # Wed 10 June 2026
MONDAY = datetime(2026, 6, 8, 9, 0)
TUESDAY = datetime(2026, 6, 9, 9, 0)
FRIDAY = datetime(2026, 6, 12, 15, 0)
LATE_IN_MONTH = datetime(2026, 1, 28, 12, 0)


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        ("tomorrow", WEDNESDAY, "2026-06-11"),
        ("the day after tomorrow", WEDNESDAY, "2026-06-12"),
        ("is it possible today", WEDNESDAY, "2026-06-10"),
        ("in three days", WEDNESDAY, "2026-06-13"),
        ("in 2 weeks", WEDNESDAY, "2026-06-24"),
        ("a week from today", WEDNESDAY, "2026-06-17"),
        ("in a couple of days", WEDNESDAY, "2026-06-12"),
        ("next Tuesday", MONDAY, "2026-06-09"),  # on a Monday: tomorrow
        ("next Tuesday", TUESDAY, "2026-06-16"),  # on a Tuesday: one week later
        ("next tuesday", WEDNESDAY, "2026-06-16"),
        ("Friday", FRIDAY, "2026-06-19"),  # bare weekday: strictly after today
        ("on friday please", WEDNESDAY, "2026-06-12"),
        ("this Thursday", WEDNESDAY, "2026-06-11"),
        ("this Wednesday", WEDNESDAY, "2026-06-10"),  # today is not past
        ("this Monday", WEDNESDAY, "2026-06-15"),  # past in this week → next week's
        ("Tuesday next week", WEDNESDAY, "2026-06-16"),
        ("next week on monday", WEDNESDAY, "2026-06-15"),
        ("the 18th", WEDNESDAY, "2026-06-18"),
        ("the 5th", WEDNESDAY, "2026-07-05"),  # past this month → next month
        ("on the thirtieth", LATE_IN_MONTH, "2026-01-30"),
        ("the 30th", datetime(2026, 1, 31, 9, 0), "2026-03-30"),  # February has no 30th
        ("March 12", WEDNESDAY, "2026-03-12"),
        ("12 march", WEDNESDAY, "2026-03-12"),
        ("the first of december works", WEDNESDAY, "2026-12-01"),
        ("april twentieth", WEDNESDAY, "2026-04-20"),
        ("Wednesday the 25th of March", WEDNESDAY, "2026-03-25"),  # explicit day beats the weekday
        ("on the twenty first of july", WEDNESDAY, "2026-07-21"),
        ("not monday, friday", WEDNESDAY, "2026-06-12"),  # the last mention wins
        ("2026-07-01", WEDNESDAY, "2026-07-01"),
        ("um can we like push it to thursday", WEDNESDAY, "2026-06-11"),
        ("the 20th of next month", WEDNESDAY, "2026-07-20"),
        ("this coming monday", WEDNESDAY, "2026-06-15"),
        ("Thursday 18th June", WEDNESDAY, "2026-06-18"),
        ("a fortnight from now", WEDNESDAY, "2026-06-24"),
        ("in a week's time", WEDNESDAY, "2026-06-17"),
    ],
)
def test_dates_resolve_against_the_clock(text: str, now: datetime, expected: str) -> None:
    assert extract_entities(text, now).date == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3 pm", "15:00"),
        ("at 3:30 p.m.", "15:30"),
        ("10 a m", "10:00"),
        ("half past ten in the morning", "10:30"),
        ("half past three", "15:30"),
        ("quarter to five in the afternoon", "16:45"),
        ("a quarter past nine", "09:15"),
        ("noon works for me", "12:00"),
        ("at midday", "12:00"),
        ("nine thirty", "09:30"),
        ("two thirty in the afternoon", "14:30"),
        ("um eleven o'clock", "11:00"),
        ("at 9", "09:00"),
        ("around 4", "16:00"),
        ("at 12", "12:00"),
        ("at 7 in the evening", "19:00"),
        ("14:10", "14:10"),  # off-grid: as said
        ("at 6 am", "06:00"),  # out of hours: as said
        ("how about 2:30?", "14:30"),
        ("no the time is wrong make it 11", "11:00"),
        ("ten past two", "14:10"),
        ("cancel my 2 pm slot", "14:00"),
        ("around 3ish", "15:00"),
        ("monday the 15th at twelve noon", "12:00"),
        ("10.30 am", "10:30"),
        ("eleven then", None),
    ],
)
def test_times_are_24h_with_office_hours_reading(text: str, expected: str | None) -> None:
    assert extract_entities(text, WEDNESDAY).time == expected


@pytest.mark.parametrize(
    "text",
    [
        "in three days",
        "I need 2 hours",
        "the 18th",
        "is it 5 credits",
        "from 2 to 3 weeks",
        "are there scholarships for first-year students?",
        "what are the opening hours of the library",
    ],
)
def test_numbers_that_are_not_times(text: str) -> None:
    assert extract_entities(text, WEDNESDAY).time is None


def test_bare_number_is_a_time_only_when_a_time_is_expected() -> None:
    assert extract_entities("3", WEDNESDAY, expecting="preferred_time").time == "15:00"
    assert extract_entities("eleven then", WEDNESDAY, expecting="preferred_time").time == "11:00"
    assert extract_entities("maybe 10", WEDNESDAY, expecting="preferred_time").time == "10:00"
    assert extract_entities("3", WEDNESDAY).time is None


@pytest.mark.parametrize(
    ("text", "expecting", "expected"),
    [
        ("my name is lukas brandt", None, "Lukas Brandt"),
        ("My name's Jonas Becker and I'd like a session", None, "Jonas Becker"),
        ("Hi, this is Clara calling.", None, "Clara"),
        ("this is lukas brandt speaking", None, "Lukas Brandt"),
        ("Can you cancel the appointment under the name Paul Fischer?", None, "Paul Fischer"),
        ("What's the status of the appointment for Lea Vogel?", None, "Lea Vogel"),
        ("I'm Anna Schmidt", None, "Anna Schmidt"),
        ("Sophie Wagner", "user_name", "Sophie Wagner"),
        ("sophie wagner", "user_name", "Sophie Wagner"),
        ("It's Amira Haddad, that's A M I R A.", "user_name", "Amira Haddad"),
        ("yes it's o'brien", "user_name", "O'Brien"),
        ("Please book me, Tom Becker, for October 8th at noon.", None, "Tom Becker"),
        ("its mia schulz and i need to talk about transferring credits", "purpose", "Mia Schulz"),
        ("this is tom becker and i need an appointment", None, "Tom Becker"),
        ("Wait, my name is spelled with a K: Katrin Meier.", "confirmation", "Katrin Meier"),
        ("sorry its spelled m e i e r so john meier", "confirmation", "John Meier"),
        ("Jan Novak.", "user_name", "Jan Novak"),
        ("my name is April Jones", None, "April Jones"),
    ],
)
def test_names_in_title_case(text: str, expecting: str | None, expected: str) -> None:
    assert extract_entities(text, WEDNESDAY, expecting=expecting).user_name == expected


@pytest.mark.parametrize(
    ("text", "expecting"),
    [
        ("im interested in the masters program", None),
        ("this is about my thesis", None),
        ("i am looking for the library", None),
        ("speak to a human please", "user_name"),
        ("never mind cancel that", "user_name"),
        ("uhh", "user_name"),
        ("it is quite urgent and i need help", None),
        ("i am international student", None),
        ("its thesis supervision", "purpose"),
        ("Please set up a meeting for March 12 at 11 am.", None),
    ],
)
def test_no_name_without_one(text: str, expecting: str | None) -> None:
    assert extract_entities(text, WEDNESDAY, expecting=expecting).user_name is None


@pytest.mark.parametrize(
    ("text", "expecting", "expected"),
    [
        ("I need an appointment about my visa extension.", None, "visa extension"),
        ("I'd like to meet an advisor about credit transfer on April 20th at 1:30 pm.", None, "credit transfer"),
        ("i want to book a session to discuss my internship requirements", None, "internship requirements"),
        ("I need help with course registration, can I see an advisor?", None, "course registration"),
        ("gonna need an appointment for um switching programs", None, "switching programs"),
        ("a session about changing my major", None, "changing my major"),
        ("Thesis supervision.", "purpose", "thesis supervision"),
        ("its about the exchange program", "purpose", "exchange program"),
        ("I want to discuss my internship requirements.", "purpose", "internship requirements"),
    ],
)
def test_purpose_is_a_short_lowercase_phrase(text: str, expecting: str | None, expected: str) -> None:
    assert extract_entities(text, WEDNESDAY, expecting=expecting).purpose == expected


@pytest.mark.parametrize(
    ("text", "expecting"),
    [
        ("Can you tell me about the library?", None),
        ("Who is the academic advisor for physics?", None),
        ("Can I make an appointment for the day after tomorrow?", None),
        ("what documents do I need?", "purpose"),
        ("never mind, cancel that", "purpose"),
    ],
)
def test_no_purpose_without_one(text: str, expecting: str | None) -> None:
    assert extract_entities(text, WEDNESDAY, expecting=expecting).purpose is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my email is jan dot krueger at example dot org", "jan.krueger@example.org"),
        ("Email: Mara.Schulz@Example.com.", "mara.schulz@example.com"),
        ("it's anna underscore b at uni dash hannover dot de", "anna_b@uni-hannover.de"),
        ("my email is anna dot schmidt at uni minus hannover dot de", "anna.schmidt@uni-hannover.de"),
    ],
)
def test_emails_written_and_spoken(text: str, expected: str) -> None:
    assert extract_entities(text, WEDNESDAY).email == expected


def test_meeting_at_a_place_is_not_an_email() -> None:
    assert extract_entities("can we meet at noon", WEDNESDAY).email is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plus four nine one seven six five five five zero one two three four", "+4917655501234"),
        ("my number is 0176 5550 1234", "017655501234"),
        ("call me on oh one seven six double five five one two three", "01765551 23".replace(" ", "")),
        ("+49 511 762 0", "+495117620"),
    ],
)
def test_phones_written_and_spoken(text: str, expected: str) -> None:
    assert extract_entities(text, WEDNESDAY).phone == expected


def test_phone_digits_are_not_read_as_times_or_dates() -> None:
    entities = extract_entities("reach me at plus four nine one seven six five five five zero one two", WEDNESDAY)
    assert entities == Entities(phone="+49176555012")


def test_full_request_and_as_dict() -> None:
    entities = extract_entities(
        "Please set up a meeting for March 12 at 11 am. My email is mara.schulz@example.com", WEDNESDAY
    )
    assert entities.as_dict() == {"date": "2026-03-12", "time": "11:00", "email": "mara.schulz@example.com"}


@pytest.mark.parametrize("text", ["", "   ", "[inaudible]", "sorry ssh krrk", "uhh", "!!!", "a" * 2000])
def test_odd_text_gives_no_entities(text: str) -> None:
    for slot in (None, "preferred_date", "preferred_time", "confirmation"):
        assert extract_entities(text, WEDNESDAY, expecting=slot) == Entities()
