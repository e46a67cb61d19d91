from services.rag.lexical import Bm25, query_vector, stem, term_index, terms


def test_stemming_folds_plurals_and_verb_forms() -> None:
    for forms in (
        ("close", "closes", "closed", "closing"),
        ("library", "libraries"),
        ("fee", "fees"),
        ("apply", "applies", "applied"),
    ):
        assert len({stem(form) for form in forms}) == 1, forms
    assert stem("campus") == "campus" and stem("status") == "status"


def test_terms_drop_stop_words_and_fillers() -> None:
    assert terms("Um, what's the deadline for the Library?") == [stem("deadline"), "library"]
    assert terms("room A0.14 at lui.example.org") == ["room", "a0.14", "lui.example.org"]


def test_bm25_weights_saturate_with_frequency_and_shrink_with_length() -> None:
    model = Bm25(average_length=10)
    once = dict(zip(*vars(model.document_vector("library hours")).values(), strict=True))
    twice = dict(zip(*vars(model.document_vector("library library hours")).values(), strict=True))
    long = dict(zip(*vars(model.document_vector("library " + "filler words " * 20)).values(), strict=True))
    library = term_index("library")
    assert twice[library] > once[library]
    assert twice[library] < 2 * once[library]
    assert long[library] < once[library]


def test_bm25_fit_measures_the_average_length() -> None:
    assert Bm25.fit(["library hours", "library opening hours weekend"]).average_length == 3.0


def test_query_vector_counts_each_term_once() -> None:
    vector = query_vector("library library hours?")
    assert len(vector.indices) == 2 and vector.values == [1.0, 1.0]
    assert query_vector("what is it").indices == []
