"""The WER normalizer reads digits the way references spell them."""

import pytest

from services.stt.wer import cardinal, edit_distance, normalize, ordinal, spoken_number, word_errors


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (0, "zero"),
        (13, "thirteen"),
        (75, "seventy five"),
        (100, "one hundred"),
        (2005, "two thousand five"),
        (1_000_000, "one million"),
    ],
)
def test_cardinal(number: int, words: str) -> None:
    assert cardinal(number) == words


@pytest.mark.parametrize(
    ("number", "words"),
    [(1, "first"), (3, "third"), (12, "twelfth"), (14, "fourteenth"), (20, "twentieth"), (21, "twenty first")],
)
def test_ordinal(number: int, words: str) -> None:
    assert ordinal(number) == words


@pytest.mark.parametrize(
    ("digits", "words"),
    [
        ("472918", "four seven two nine one eight"),
        ("0157", "zero one five seven"),
        ("1999", "nineteen ninety nine"),
        ("1905", "nineteen oh five"),
        ("2000", "two thousand"),
        ("75", "seventy five"),
    ],
)
def test_spoken_number(digits: str, words: str) -> None:
    assert spoken_number(digits) == words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Thursday at 2pm.", "thursday at two pm"),
        ("at 2 p.m.", "at two pm"),
        ("on the 14th of May, 1999", "on the fourteenth of may nineteen ninety nine"),
        ("My number is 0157-228-441.", "my number is zero one five seven two two eight four four one"),
        ("book me for 10:30 or 10.30 or 10 30", "book me for ten thirty or ten thirty or ten thirty"),
        ("really €75?", "really seventy five euros"),
        ("The Wi-Fi, e-mail and first-year", "the wifi email and first year"),
        ("K-O-W-A-L-S-K-I", "k o w a l s k i"),
        ("I'd like 1,000 rooms", "id like one thousand rooms"),
        ("a master's program, 'ok'", "a masters program ok"),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_edit_distance_counts_substitutions_insertions_deletions() -> None:
    assert edit_distance(["a", "b", "c"], ["a", "x", "c", "d"]) == 2
    assert edit_distance([], ["a", "b"]) == 2


def test_word_errors_ignore_formatting_differences() -> None:
    assert word_errors("my student number is four seven two nine one eight", "My student number is 472918.") == (0, 10)
    assert word_errors("yes, correct", "Yes, correct? Yes, right?") == (2, 2)
