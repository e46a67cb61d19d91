import pytest

from services.rag.text import as_sentence, normalize_query, speakable, split_sentences


@pytest.mark.parametrize(
    ("markdown", "spoken"),
    [
        ("See [the portal](https://apply.lui.example.org) today.", "See the portal today."),
        ("**Bold** and *italic* and `code` and ~~gone~~", "Bold and italic and code and gone"),
        ("- a list item,", "a list item,"),
        ("12. numbered item", "numbered item"),
        ("## A heading", "A heading"),
        ("> quoted text", "quoted text"),
        ("| Office | Phone |", "Office, Phone"),
        ("Mail <https://lui.example.org> now", "Mail https://lui.example.org now"),
        ("Use <b>bold</b>  spacing", "Use bold spacing"),
        ("snake_case_name stays", "snake_case_name stays"),
    ],
)
def test_speakable_removes_markdown_syntax(markdown: str, spoken: str) -> None:
    assert speakable(markdown) == spoken


def test_sentences_split_at_full_stops_but_not_inside_abbreviations_or_numbers() -> None:
    text = "The director is Prof. Dr. Yusuf Demir. Grades run from 1.0 to 5.0. Is it open? Yes, e.g. on Mondays."
    assert split_sentences(text) == [
        "The director is Prof. Dr. Yusuf Demir.",
        "Grades run from 1.0 to 5.0.",
        "Is it open?",
        "Yes, e.g. on Mondays.",
    ]


def test_fragment_becomes_a_sentence() -> None:
    assert as_sentence("€14.70 for the student union,") == "€14.70 for the student union."
    assert as_sentence("the grades:") == "The grades."


def test_query_normalisation_folds_case_space_and_end_punctuation() -> None:
    assert normalize_query("  When is the LIBRARY   open?? ") == normalize_query("when is the library open")
    assert normalize_query("Café") == normalize_query("CAFÉ")
