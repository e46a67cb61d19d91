"""Text normalization for speech: write out what a person would say.

A voice model reads letters, so "15:00", "€350" or "info@lui.example.org"
must reach it as words. The English rules below run in a fixed order: an
earlier rule consumes a pattern that a later one would misread (an address
before abbreviations, a date before plain numbers, a time before a number
range, a currency amount before a decimal). Other languages get only the
language-neutral clean-up: their espeak-ng voices read digits themselves.

The output is also the cache key of the audio, so it must be deterministic for
a given text and reference date (the current year is left out of dates).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date

from services.tts.numbers import cardinal, decimal, digits, number, ordinal, year

Rule = Callable[[str], str]

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MONTH_BY_NAME = {name.lower(): index for index, name in enumerate(MONTHS, start=1)}
_MONTH_BY_NAME.update({name.lower()[:3]: index for index, name in enumerate(MONTHS, start=1)})
_MONTH_BY_NAME["sept"] = 9
_MONTH_PATTERN = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)"
)

WEEKDAYS = {
    "mon": "Monday",
    "tue": "Tuesday",
    "tues": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "thur": "Thursday",
    "thurs": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
_WEEKDAY_PATTERN = (
    r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Mon|Tues|Tue|Wed|Thurs|Thur|Thu|Fri|Sat|Sun)"
)

# Abbreviations whose expansion does not depend on context ("Dr." only before a name, see below).
_ABBREVIATIONS = {
    "e.g.": "for example",
    "i.e.": "that is",
    "etc.": "et cetera",
    "approx.": "approximately",
    "approx": "approximately",
    "vs.": "versus",
    "vs": "versus",
    "incl.": "including",
    "excl.": "excluding",
    "ca.": "about",
    "cf.": "compare",
    "a.k.a.": "also known as",
    "dept.": "department",
    "Dept.": "Department",
    "appt.": "appointment",
    "tel.": "telephone",
    "Tel.": "telephone",
    "min.": "minutes",
    "mins": "minutes",
    "hrs": "hours",
    "hrs.": "hours",
    "w/o": "without",
    "w/": "with",
    "Ave.": "Avenue",
    "Rd.": "Road",
    "Univ.": "University",
    "Inst.": "Institute",
    "Jr.": "Junior",
    "Sr.": "Senior",
    "Mt.": "Mount",
    "Fig.": "Figure",
    "Ph.D.": "P H D",
    "PhD": "P H D",
}
_TITLES = {"Dr": "Doctor", "Mr": "Mister", "Mrs": "Missus", "Ms": "Miz", "Prof": "Professor", "St": "Saint"}

_CURRENCIES = {
    "€": ("euro", "euros", "cent", "cents"),
    "EUR": ("euro", "euros", "cent", "cents"),
    "$": ("dollar", "dollars", "cent", "cents"),
    "USD": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "GBP": ("pound", "pounds", "penny", "pence"),
    "¥": ("yen", "yen", "", ""),
}
_SCALES = {
    "k": "thousand",
    "K": "thousand",
    "thousand": "thousand",
    "m": "million",
    "M": "million",
    "million": "million",
    "bn": "billion",
    "billion": "billion",
}

_UNITS = {
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "mph": ("mile per hour", "miles per hour"),
    "km": ("kilometer", "kilometers"),
    "cm": ("centimeter", "centimeters"),
    "mm": ("millimeter", "millimeters"),
    "m": ("meter", "meters"),
    "kg": ("kilogram", "kilograms"),
    "g": ("gram", "grams"),
    "ml": ("milliliter", "milliliters"),
    "l": ("liter", "liters"),
    "min": ("minute", "minutes"),
    "mins": ("minute", "minutes"),
    "h": ("hour", "hours"),
    "hr": ("hour", "hours"),
    "hrs": ("hour", "hours"),
    "sec": ("second", "seconds"),
    "GB": ("gigabyte", "gigabytes"),
    "MB": ("megabyte", "megabytes"),
    "°C": ("degree Celsius", "degrees Celsius"),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°": ("degree", "degrees"),
}

_SEPARATOR_WORDS = {
    ".": "dot",
    "@": "at",
    "/": "slash",
    "-": "dash",
    "_": "underscore",
    ":": "colon",
    "+": "plus",
    "?": "question mark",
    "=": "equals",
    "&": "and",
    "#": "hash",
    "~": "tilde",
    "%": "percent",
}

_MERIDIEM = r"(?:[aApP]\.?[mM]\.?)(?![A-Za-z])"
_TIME_TOKEN = rf"\d{{1,2}}(?::\d{{2}})?(?:\s*{_MERIDIEM})?"
_TLDS = r"(?:com|org|net|edu|gov|io|ai|app|dev|info|biz|eu|de|uk|fr|es|it|nl|ch|at|us|ca|example)"
_AMOUNT = r"(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d{1,2}))?"


def _keeps_full_stop(match: re.Match[str]) -> str:
    """A period that ends both an abbreviation ("p.m.", "Fri.") and the text must survive its expansion."""
    return "." if match.group(0).endswith(".") and not match.string[match.end() :].strip() else ""


def _sub(pattern: str, replace: Callable[[re.Match[str]], str]) -> Rule:
    """A rule replacing every match of ``pattern``; a swallowed final full stop is put back."""
    compiled = re.compile(pattern)

    def replace_keeping_full_stop(match: re.Match[str]) -> str:
        spoken = replace(match)
        if spoken != match.group(0) and not spoken.endswith("."):
            spoken += _keeps_full_stop(match)
        return spoken

    return lambda text: compiled.sub(replace_keeping_full_stop, text)


# --- clean-up ---------------------------------------------------------------------------------

_TYPOGRAPHY = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "–": "-",
        "—": ", ",
        "…": "...",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
    }
)
_MARKDOWN = [
    (re.compile(r"\[([^\]]+)\]\([^)\s]*\)"), r"\1"),  # [text](url) → text
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),  # **bold**
    (re.compile(r"(?<![\w*])\*(?!\s)([^*]+?)\*(?!\w)"), r"\1"),  # *italic*
    (re.compile(r"`+([^`]*)`+"), r"\1"),  # `code`
    (re.compile(r"^\s{0,3}#{1,6}\s+", re.M), ""),  # # heading
    (re.compile(r"^\s*(?:[-*•+]|\d{1,2}[.)])\s+", re.M), ""),  # list bullets
]


def clean(text: str) -> str:
    """Language-neutral clean-up: Unicode forms, typography, markdown, control characters, spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_TYPOGRAPHY)
    for pattern, replacement in _MARKDOWN:
        text = pattern.sub(replacement, text)
    text = "".join(" " if unicodedata.category(char).startswith("C") else char for char in text)
    return re.sub(r"\s+", " ", text).strip()


def _tidy_punctuation(text: str) -> str:
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)
    text = re.sub(r"[,;:]\s*([.!?])", r"\1", text)
    text = re.sub(r"^[\s,;:.]+", "", text)
    return re.sub(r"\s+", " ", text).strip()


# --- addresses --------------------------------------------------------------------------------


def speak_address(address: str) -> str:
    """``info@lui.example.org`` → ``info at lui dot example dot org``; digits one by one."""
    words: list[str] = []
    for part in re.findall(r"[A-Za-z]+|\d+|[^A-Za-z\d]", address):
        if part.isdigit():
            words.append(digits(part))
        elif part.isalpha():
            words.append("w w w" if part.lower() == "www" else part)
        elif part in _SEPARATOR_WORDS:
            words.append(_SEPARATOR_WORDS[part])
    return " ".join(words)


def _say_email(match: re.Match[str]) -> str:
    return speak_address(match.group(0))


def _say_url(match: re.Match[str]) -> str:
    url = match.group(0)
    trailing = re.search(r"[.,;:!?]+$", url)
    tail = trailing.group(0) if trailing else ""
    url = url[: len(url) - len(tail)]
    url = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", url).rstrip("/")
    return speak_address(url) + tail


# --- abbreviations ----------------------------------------------------------------------------


def _abbreviation_rule() -> Rule:
    keys = sorted(_ABBREVIATIONS, key=len, reverse=True)
    pattern = r"(?<![\w.])(?:" + "|".join(re.escape(key) for key in keys) + r")(?=[\s,;:!?)]|$)"
    return _sub(pattern, lambda match: _ABBREVIATIONS[match.group(0)])


def _say_title(match: re.Match[str]) -> str:
    return _TITLES[match.group(1)]


def _say_street(match: re.Match[str]) -> str:
    return f"{match.group(1)} Street"


# --- dates and times --------------------------------------------------------------------------


class _Dates:
    """Date rules; the reference year decides whether a year is said at all."""

    def __init__(self, today: Callable[[], date]) -> None:
        self._today = today

    def say(self, year_value: int | None, month: int, day: int, style: str = "month-day") -> str | None:
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return None
        spoken = (
            f"the {ordinal(day)} of {MONTHS[month - 1]}"
            if style == "day-month"
            else f"{MONTHS[month - 1]} {ordinal(day)}"
        )
        if year_value is not None and year_value != self._today().year:
            spoken += f", {year(year_value)}"
        return spoken

    def iso(self, match: re.Match[str]) -> str:
        spoken = self.say(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        if spoken is None:
            return match.group(0)
        return spoken + (" at " if match.group(4) else "")

    def dotted(self, match: re.Match[str]) -> str:
        return self.say(int(match.group(3)), int(match.group(2)), int(match.group(1))) or match.group(0)

    def slashed(self, match: re.Match[str]) -> str:
        return self.say(int(match.group(3)), int(match.group(1)), int(match.group(2))) or match.group(0)

    def month_day(self, match: re.Match[str]) -> str:
        year_value = int(match.group("year")) if match.group("year") else None
        month = _MONTH_BY_NAME[match.group("month").lower()]
        return self.say(year_value, month, int(match.group("day"))) or match.group(0)

    def day_month(self, match: re.Match[str]) -> str:
        year_value = int(match.group("year")) if match.group("year") else None
        month = _MONTH_BY_NAME[match.group("month").lower()]
        return self.say(year_value, month, int(match.group("day")), style="day-month") or match.group(0)

    def rules(self) -> list[Rule]:
        year_suffix = r"(?:,?\s+(?P<year>\d{4})\b)?"
        return [
            _sub(r"\b(\d{4})-(\d{2})-(\d{2})(?!\d)(T(?=\d{1,2}:\d{2}))?", self.iso),
            _sub(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b", self.dotted),
            _sub(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b", self.slashed),
            _sub(
                rf"\b(?P<month>{_MONTH_PATTERN})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b(?!:\d){year_suffix}",
                self.month_day,
            ),
            _sub(
                rf"\b(?:the\s+)?(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{_MONTH_PATTERN})\b\.?"
                rf"{year_suffix}",
                self.day_month,
            ),
        ]


def _minutes(minute: int) -> str:
    if minute == 0:
        return ""
    return f" oh {cardinal(minute)}" if minute < 10 else f" {cardinal(minute)}"


def say_time(hour: int, minute: int, meridiem: str = "") -> str | None:
    """``15:00`` → ``three PM``; ``9:30`` → ``nine thirty``; ``12:00`` → ``noon``; None if not a time.

    Without am/pm, hours from 13 on are afternoon; morning hours are said
    without a suffix ("nine thirty"), as people do.
    """
    if meridiem:
        if not 1 <= hour <= 12 or minute > 59:
            return None
        return f"{cardinal(hour)}{_minutes(minute)} {meridiem}"
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        return None
    if minute == 0 and hour in (0, 24):
        return "midnight"
    if minute == 0 and hour == 12:
        return "noon"
    if hour >= 12:
        return f"{cardinal(hour - 12 if hour > 12 else 12)}{_minutes(minute)} PM"
    if hour == 0:
        return f"twelve{_minutes(minute)} AM"
    return f"{cardinal(hour)}{_minutes(minute)}" + (" o'clock" if minute == 0 else "")


def _meridiem(raw: str | None) -> str:
    return "" if not raw else ("AM" if raw[0] in "aA" else "PM")


def _say_clock(match: re.Match[str]) -> str:
    spoken = say_time(int(match.group(1)), int(match.group(2)), _meridiem(match.group(3)))
    return match.group(0) if spoken is None else spoken


def _say_clock_after_preposition(match: re.Match[str]) -> str:
    spoken = say_time(int(match.group(2)), int(match.group(3)))
    return match.group(0) if spoken is None else match.group(1) + spoken


def _say_hour(match: re.Match[str]) -> str:
    spoken = say_time(int(match.group(1)), 0, _meridiem(match.group(2)))
    return match.group(0) if spoken is None else spoken


def _time_range(match: re.Match[str]) -> str:
    first, second = match.group(1), match.group(2)
    is_time = re.compile(rf":|{_MERIDIEM}")
    if is_time.search(first) or is_time.search(second):
        return f"{first} to {second}"
    return match.group(0)


# --- weekdays ---------------------------------------------------------------------------------


def _weekday(word: str) -> str:
    return WEEKDAYS.get(word.lower(), word)


def _say_weekday_range(match: re.Match[str]) -> str:
    return f"{_weekday(match.group(1))} to {_weekday(match.group(2))}"


def _say_weekday(match: re.Match[str]) -> str:
    return _weekday(match.group(1))


# --- money, units, phone numbers --------------------------------------------------------------


def _say_money(match: re.Match[str]) -> str:
    one, many, sub_one, sub_many = _CURRENCIES[match.group("cur")]
    whole = int(match.group("int").replace(",", ""))
    fraction = match.group("frac") or ""
    scale = match.groupdict().get("scale")
    if scale:
        amount = decimal(str(whole), fraction) if fraction else cardinal(whole)
        return f"{amount} {_SCALES[scale]} {many}"
    cents = int(fraction.ljust(2, "0")) if fraction else 0
    spoken = f"{cardinal(whole)} {one if whole == 1 else many}"
    if cents and sub_one:
        cents_words = f"{cardinal(cents)} {sub_one if cents == 1 else sub_many}"
        spoken = cents_words if whole == 0 else f"{spoken} and {cents_words}"
    return spoken


def _say_unit(match: re.Match[str]) -> str:
    value, unit = match.group(1), match.group(2)
    one, many = _UNITS[unit]
    spoken = decimal(*value.split(".")) if "." in value else cardinal(int(value))
    return f"{spoken} {one if value == '1' else many}"


def _say_phone(match: re.Match[str]) -> str:
    phone = match.group(0)
    if sum(char.isdigit() for char in phone) < 7:
        return phone
    groups = re.findall(r"\d+", phone)
    spoken = ", ".join(digits(group) for group in groups)
    return ("plus " if phone.startswith("+") else "") + spoken


def _say_decade(match: re.Match[str]) -> str:
    """``1990s`` → ``nineteen nineties``, ``'80s`` → ``eighties``."""
    value = int(match.group(1))
    words = year(value) if value >= 1100 else cardinal(value)
    return words[:-1] + "ies" if words.endswith("y") else words + "s"


def _say_code(match: re.Match[str]) -> str:
    """``AB12`` → ``A-B-one two``: letters spelled, digits one by one.

    The hyphens make espeak-ng (piper's phonemizer) say letter names: a lone
    "A" would otherwise be read as the article.
    """
    parts = re.findall(r"[A-Za-z]+|\d+", match.group(0))
    return "-".join(digits(part) if part.isdigit() else "-".join(part.upper()) for part in parts)


# --- the pipeline -----------------------------------------------------------------------------


class EnglishNormalizer:
    """Turns written English into the words a voice should say."""

    def __init__(self, today: Callable[[], date] = date.today) -> None:
        dates = _Dates(today)
        units = "|".join(re.escape(unit) for unit in sorted(_UNITS, key=len, reverse=True))
        currency_symbols = "€$£¥"
        self._rules: list[Rule] = [
            # Addresses first: they contain dots, digits and abbreviations of their own.
            _sub(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+", _say_email),
            _sub(
                rf"(?i)\b(?:https?://|www\.)[^\s<>\"')\]]+|\b(?:[a-z0-9-]+\.)+{_TLDS}\b(?:/[^\s<>\"')\]]*)?", _say_url
            ),
            _abbreviation_rule(),
            _sub(r"\b([A-Z][a-z]+) St\b(?:\.(?=\s*[a-z,;]))?", _say_street),
            _sub(r"\b(Dr|Mr|Mrs|Ms|Prof|St)\.?(?=\s+[A-Z])", _say_title),
            _sub(r"\b(?:No|Nr|no|nr)\.\s*(?=\d)|#\s*(?=\d)", lambda _m: "number "),
            _sub(rf"\b({_WEEKDAY_PATTERN})\.?\s*[-/]\s*({_WEEKDAY_PATTERN})\b\.?", _say_weekday_range),
            # Mon, Tue, Thu and Fri are no English words; Wed, Sat and Sun need a date-like context.
            _sub(r"\b(Mon|Tues|Tue|Thurs|Thur|Thu|Fri)\b\.?", _say_weekday),
            _sub(
                r"\b(Wed|Sat|Sun)(?:\.|(?=,|\s+\d)|(?<=day, Wed|day, Sat|day, Sun)|(?<=day and \w{3})"
                r"|(?<=day or \w{3}))",
                _say_weekday,
            ),
            *dates.rules(),
            _sub(
                r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d{2,6}(?:[ .-]\d{2,8}){1,5}(?![\w.:]\d|\w)",
                _say_phone,
            ),
            _sub(r"(?<![\w+])\+\d{7,15}\b", _say_phone),
            _sub(rf"(?<![\d:.])({_TIME_TOKEN})\s*-\s*({_TIME_TOKEN})(?![\d:])", _time_range),
            _sub(rf"(?<![\d:.])(\d{{1,2}}):(\d{{2}})(?!\d)(?:\s*({_MERIDIEM}))?", _say_clock),
            # British notation: "2.30pm", "at 9.30" (a dot is a time only with am/pm or after a preposition).
            _sub(rf"(?<![\d:.])(\d{{1,2}})\.(\d{{2}})\s*({_MERIDIEM})", _say_clock),
            _sub(r"\b((?i:at|from|until|till|between) )(\d{1,2})\.(\d{2})(?![\d.])", _say_clock_after_preposition),
            _sub(rf"(?<![\d:.])(\d{{1,2}})\s*({_MERIDIEM})", _say_hour),
            _sub(
                rf"(?P<cur>[{currency_symbols}])\s?{_AMOUNT}(?:\s?(?P<scale>million|billion|thousand|bn|[kKmM])\b)?",
                _say_money,
            ),
            _sub(rf"\b(?P<cur>EUR|USD|GBP)\s?{_AMOUNT}", _say_money),
            _sub(rf"{_AMOUNT}\s?(?P<cur>[{currency_symbols}]|EUR\b|USD\b|GBP\b)", _say_money),
            _sub(r"(?<=\d)\s?%", lambda _m: " percent"),
            _sub(r"(?<![\w.,])(\d{1,4})\s?-\s?(\d{1,4})(?![\w.,]\d|\w)", lambda m: f"{m.group(1)} to {m.group(2)}"),
            _sub(r"(?<![\w)])-(?=\d)", lambda _m: "minus "),
            _sub(rf"(?<![\w.])(\d+(?:\.\d+)?)\s?({units})(?![\w/])", _say_unit),
            _sub(r"\b(\d+)(?:st|nd|rd|th)\b", lambda m: ordinal(int(m.group(1)))),
            _sub(r"(?<![\w.])(\d+)\.(\d+)(?![\d.])", lambda m: decimal(m.group(1), m.group(2))),
            _sub(
                r"(?<![\w.])\d+(?:\.\d+)+(?![\w.]\d)",
                lambda m: " point ".join(number(part) for part in m.group(0).split(".")),
            ),
            _sub(r"(?<![\w.])'?([1-9]0|1[1-9]\d0|20\d0)s\b", _say_decade),
            _sub(r"\b(?=[A-Za-z]*\d)(?=\d*[A-Za-z])[A-Za-z\d]+\b", _say_code),
            _sub(
                rf"\b((?i:in|since|until|till|by|from|of|year|before|after|during)|{_MONTH_PATTERN})\s+"
                r"(1[1-9]\d\d|20\d\d)\b(?!,\d)",
                lambda m: f"{m.group(1)} {year(int(m.group(2)))}",
            ),
            _sub(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?!\d)|\d+", lambda m: number(m.group(0))),
            _sub(r"\s*&\s*", lambda _m: " and "),
            _sub(r"(?<=\s)\+(?=\s)", lambda _m: "plus"),
            _sub(r"\s*=\s*", lambda _m: " equals "),
            _sub(r"~\s*(?=\w)", lambda _m: "about "),
            _sub(r"\s*[()\[\]{}]\s*", lambda _m: ", "),
            _sub(r"[\"*_|^<>`/\\#@]|(?<=\s)-(?=\s)", lambda _m: " "),
        ]

    def __call__(self, text: str) -> str:
        text = clean(text)
        for rule in self._rules:
            text = rule(text)
        return _tidy_punctuation(text)


def basic_normalizer(text: str) -> str:
    """The language-neutral part only (voices of other languages read numbers themselves)."""
    return _tidy_punctuation(clean(text))


def make_normalizer(language: str, today: Callable[[], date] = date.today) -> Callable[[str], str]:
    """The normalizer for a BCP-47 ``language``: English rules for ``en``, clean-up only otherwise."""
    if language.lower().split("-")[0] == "en":
        return EnglishNormalizer(today)
    return basic_normalizer
