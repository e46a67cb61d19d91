"""Text normalization for speech: what the voice is given to say."""

from __future__ import annotations

from datetime import date

import pytest

from services.tts.normalize import MONTHS, EnglishNormalizer, clean, make_normalizer, say_time, speak_address
from services.tts.numbers import cardinal, digits, number, ordinal, year

normalize = EnglishNormalizer(lambda: date(2026, 6, 10))


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        # The examples of the issue.
        ("The meeting is at 15:00.", "The meeting is at three PM."),
        ("We open at 9:30.", "We open at nine thirty."),
        ("Your appointment is on 2026-03-12.", "Your appointment is on March twelfth."),
        ("It costs €350.", "It costs three hundred fifty euros."),
        ("Write to info@lui.example.org.", "Write to info at lui dot example dot org."),
    ],
)
def test_issue_examples(text: str, spoken: str) -> None:
    assert normalize(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("17:00", "five PM"),
        ("12:00", "noon"),
        ("0:00", "midnight"),
        ("24:00", "midnight"),
        ("12:30", "twelve thirty PM"),
        ("00:15", "twelve fifteen AM"),
        ("9:00", "nine o'clock"),
        ("9:05", "nine oh five"),
        ("14:45", "two forty-five PM"),
        ("9:30 am", "nine thirty AM"),
        ("9:30am", "nine thirty AM"),
        ("3 pm", "three PM"),
        ("3pm", "three PM"),
        ("3 p.m. on Monday", "three PM on Monday"),
        ("10 A.M.", "ten AM."),
        ("from 9:00-17:00", "from nine o'clock to five PM"),
        ("9:00 - 12:30", "nine o'clock to twelve thirty PM"),
        ("2-4pm", "two to four PM"),
        ("2.30pm", "two thirty PM"),
        ("at 2.30 PM", "at two thirty PM"),
        ("from 11.30 to 2 p.m.", "from eleven thirty to two PM."),
        ("at 9.05", "at nine oh five"),
        ("at 3.75 percent", "at three point seven five percent"),
        ("costs 2.30", "costs two point three zero"),
    ],
)
def test_times(text: str, spoken: str) -> None:
    assert normalize(text) == spoken


def test_the_final_full_stop_survives_a_trailing_meridiem() -> None:
    assert normalize("See you at 4 p.m.") == "See you at four PM."
    assert normalize("See you at 4 p.m. Bye.") == "See you at four PM Bye."


@pytest.mark.parametrize(("hour", "minute", "meridiem"), [(25, 0, ""), (9, 60, ""), (13, 0, "PM"), (0, 0, "AM")])
def test_impossible_times_are_not_read_as_times(hour: int, minute: int, meridiem: str) -> None:
    assert say_time(hour, minute, meridiem) is None


def test_impossible_clock_text_is_left_to_the_number_rules() -> None:
    assert normalize("a ratio of 3:75") == "a ratio of three:seventy-five"


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("2026-03-12", "March twelfth"),
        ("2027-01-01", "January first, twenty twenty-seven"),
        ("2026-03-12T15:00", "March twelfth at three PM"),
        ("12.03.2026", "March twelfth"),
        ("03/12/2026", "March twelfth"),
        ("March 12", "March twelfth"),
        ("March 12th, 2027", "March twelfth, twenty twenty-seven"),
        ("Mar. 3", "March third"),
        ("Sept 21", "September twenty-first"),
        ("12 March", "the twelfth of March"),
        ("the 1st of May", "the first of May"),
        ("on 22nd December 2026", "on the twenty-second of December"),
        ("in March 2025", "in March twenty twenty-five"),
    ],
)
def test_dates(text: str, spoken: str) -> None:
    assert normalize(text) == spoken


def test_impossible_dates_are_not_read_as_dates() -> None:
    spoken = normalize("2026-13-40")
    assert not any(month in spoken for month in MONTHS)
    assert "one three" in spoken
    assert normalize("31.02.2026") == "February thirty-first"  # day range is checked, not the calendar


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("€350", "three hundred fifty euros"),
        ("€1", "one euro"),
        ("€1,200", "one thousand two hundred euros"),
        ("€12.50", "twelve euros and fifty cents"),
        ("€12.5", "twelve euros and fifty cents"),
        ("€0.99", "ninety-nine cents"),
        ("€350.00", "three hundred fifty euros"),
        ("$1.01", "one dollar and one cent"),
        ("£20", "twenty pounds"),
        ("350 €", "three hundred fifty euros"),
        ("350€", "three hundred fifty euros"),
        ("EUR 75", "seventy-five euros"),
        ("75 EUR", "seventy-five euros"),
        ("€2.5 million", "two point five million euros"),
        ("$3k", "three thousand dollars"),
    ],
)
def test_currency(text: str, spoken: str) -> None:
    assert normalize(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("Dr. Smith", "Doctor Smith"),
        ("Dr Meyer", "Doctor Meyer"),
        ("Mrs. Lee and Mr. Kim", "Missus Lee and Mister Kim"),
        ("Prof. Weber", "Professor Weber"),
        ("St. Mary's", "Saint Mary's"),
        ("5 Main St.", "five Main Street."),
        ("Mon.", "Monday."),
        ("Mon-Fri", "Monday to Friday"),
        ("Mon.-Fri.", "Monday to Friday."),
        ("Monday-Friday", "Monday to Friday"),
        ("open Mon, Wed and Fri", "open Monday, Wednesday and Friday"),
        ("Sat. and Sun.", "Saturday and Sunday."),
        ("on Sat 14 June", "on Saturday the fourteenth of June"),
        ("Thu 9:00", "Thursday nine o'clock"),
        ("documents, e.g. your ID", "documents, for example your ID"),
        ("one thing, i.e. this", "one thing, that is this"),
        ("pens, paper etc.", "pens, paper et cetera."),
        ("approx. 20 minutes", "approximately twenty minutes"),
        ("approx 20 minutes", "approximately twenty minutes"),
        ("theory vs. practice", "theory versus practice"),
        ("incl. tax", "including tax"),
        ("No. 5", "number five"),
        ("room #12", "room number twelve"),
        ("coffee w/ milk", "coffee with milk"),
        ("Q&A", "Q and A"),
    ],
)
def test_abbreviations(text: str, spoken: str) -> None:
    assert normalize(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("I saw the sun on Sunday.", "I saw the sun on Sunday."),
        ("We wed in May.", "We wed in May."),
        ("The Sun is bright.", "The Sun is bright."),
    ],
)
def test_words_that_look_like_abbreviations_are_kept(text: str, spoken: str) -> None:
    assert normalize(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("info@lui.example.org", "info at lui dot example dot org"),
        ("first.last+tag@mail-server.example.com", "first dot last plus tag at mail dash server dot example dot com"),
        ("jobs2026@lui.example.org", "jobs two zero two six at lui dot example dot org"),
        ("https://www.lui.example.org/booking", "w w w dot lui dot example dot org slash booking"),
        ("http://lui.example.org/", "lui dot example dot org"),
        ("lui.example.org/faq_page", "lui dot example dot org slash faq underscore page"),
        ("Visit lui.example.org.", "Visit lui dot example dot org."),
        ("See www.example.com, then call.", "See w w w dot example dot com, then call."),
    ],
)
def test_addresses(text: str, spoken: str) -> None:
    assert normalize(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("5", "five"),
        ("21", "twenty-one"),
        ("350", "three hundred fifty"),
        ("1,200", "one thousand two hundred"),
        ("1,000,000", "one million"),
        ("2000", "two thousand"),
        ("10000", "ten thousand"),
        ("472918", "four seven two nine one eight"),
        ("0471", "zero four seven one"),
        ("3.5", "three point five"),
        ("0.25", "zero point two five"),
        ("version 1.8.0", "version one point eight point zero"),
        ("1st", "first"),
        ("the 3rd floor", "the third floor"),
        ("22nd", "twenty-second"),
        ("15%", "fifteen percent"),
        ("2.5 %", "two point five percent"),
        ("-5°C", "minus five degrees Celsius"),
        ("1 km", "one kilometer"),
        ("2.5 kg", "two point five kilograms"),
        ("90 min", "ninety minutes"),
        ("3-5 days", "three to five days"),
        ("in 1998", "in nineteen ninety-eight"),
        ("since 2005", "since two thousand five"),
        ("In 2026 we grew.", "In twenty twenty-six we grew."),
        ("2026 students", "two thousand twenty-six students"),
        ("room B12", "room B-one two"),
        ("level A1", "level A-one"),
        ("3D", "three-D"),
        ("ref AB1234", "ref A-B-one two three four"),
        ("24/7", "twenty-four seven"),
        ("the 1990s", "the nineteen nineties"),
        ("the '80s", "the eighties"),
        ("in her 20s", "in her twenties"),
        ("the 2000s", "the two thousands"),
    ],
)
def test_numbers(text: str, spoken: str) -> None:
    assert normalize(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("+49 30 1234 5678", "plus four nine, three zero, one two three four, five six seven eight"),
        ("(030) 123-4567", "zero three zero, one two three, four five six seven"),
        ("555-1234", "five five five, one two three four"),
        ("+4930123456", "plus four nine three zero one two three four five six"),
    ],
)
def test_phone_numbers(text: str, spoken: str) -> None:
    assert normalize(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("**Opening hours** are *short*.", "Opening hours are short."),
        ("See [the page](https://lui.example.org/x) now.", "See the page now."),
        ("## Fees", "Fees"),
        ("- first item", "first item"),
        ("Use `pip`.", "Use pip."),
        ("Hello \u2014 again", "Hello, again"),
        ("It\u2019s \u201cfine\u201d", "It's fine"),
        ("a  \t b\n c", "a b c"),
        ("Room 12 (second floor) is free.", "Room twelve, second floor, is free."),
        ("x = 5", "x equals five"),
        ("~5 minutes", "about five minutes"),
    ],
)
def test_markup_and_symbols(text: str, spoken: str) -> None:
    assert normalize(text) == spoken


def test_a_booking_confirmation_reads_naturally() -> None:
    text = (
        "Your advising appointment with Dr. Weber is confirmed for 2026-03-12 at 15:00 in room B12. "
        "The fee is €35.50, e.g. payable by card. Questions? Write to info@lui.example.org."
    )
    assert normalize(text) == (
        "Your advising appointment with Doctor Weber is confirmed for March twelfth at three PM in room "
        "B-one two. The fee is thirty-five euros and fifty cents, for example payable by card. Questions? "
        "Write to info at lui dot example dot org."
    )


def test_the_reference_year_decides_whether_the_year_is_said() -> None:
    assert EnglishNormalizer(lambda: date(2027, 1, 5))("2026-03-12") == "March twelfth, twenty twenty-six"


def test_other_languages_get_only_the_clean_up() -> None:
    german = make_normalizer("de")
    assert german("**Termin** am 12.03.2026 um 15:00 Uhr.") == "Termin am 12.03.2026 um 15:00 Uhr."
    assert isinstance(make_normalizer("en-GB"), EnglishNormalizer)


def test_clean_removes_control_characters() -> None:
    assert clean("a\x00b\x1fc\u200bd") == "a b c d"


def test_speak_address_spells_www_and_reads_digits() -> None:
    assert speak_address("www.a1.org") == "w w w dot a one dot org"


def test_number_words() -> None:
    assert cardinal(350) == "three hundred fifty"
    assert cardinal(-3) == "minus three"
    assert cardinal(1001) == "one thousand one"
    assert ordinal(12) == "twelfth"
    assert ordinal(101) == "one hundred first"
    assert year(2026) == "twenty twenty-six"
    assert digits("0-4") == "zero four"
    assert number("12000") == "twelve thousand"
    assert number("12345") == "one two three four five"
