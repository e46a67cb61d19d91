import itertools

from services.rag.chunking import chunk_document
from services.rag.sources import Document

DOC = """# Library Opening Hours

## Regular opening hours
The library is open Monday to Friday from 8 am to 10 pm. On Saturdays, it is open from 10 am to 6 pm.

## Fees
The fees are:

- €2 for a late return,
- €5 for a lost card.

### Paying
Pay at the desk.

```
# not a heading inside a fence
```
"""


def test_sections_follow_headings_and_carry_title_and_section_path() -> None:
    chunks = chunk_document(Document("library/opening-hours.md", "library", DOC))
    assert [chunk.section for chunk in chunks] == ["Regular opening hours", "Fees", "Fees > Paying"]
    assert {chunk.title for chunk in chunks} == {"Library Opening Hours"}
    assert chunks[0].sentences == (
        "The library is open Monday to Friday from 8 am to 10 pm.",
        "On Saturdays, it is open from 10 am to 6 pm.",
    )
    assert chunks[0].indexed_text.startswith("Library Opening Hours — Regular opening hours. The library")
    assert chunks[0].chunk_id == "library/opening-hours.md#0"
    assert len({chunk.chunk_id for chunk in chunks}) == len(chunks)


def test_a_short_list_is_one_sentence_with_its_lead_in() -> None:
    fees = chunk_document(Document("library/fees.md", "library", DOC))[1]
    assert fees.sentences == ("The fees are: €2 for a late return; €5 for a lost card.",)


def test_a_long_or_unintroduced_list_gives_a_sentence_per_item() -> None:
    items = "\n".join(f"- item number {i} with a fairly long description of what it is," for i in range(12))
    long_list = chunk_document(Document("x/list.md", "x", f"# T\n\nThe items are:\n\n{items}"))[0]
    assert long_list.sentences[0] == "The items are:"
    assert long_list.sentences[1] == "Item number 0 with a fairly long description of what it is."
    bare = chunk_document(Document("x/bare.md", "x", "# T\n\n* first thing\n* second thing"))[0]
    assert bare.sentences == ("First thing.", "Second thing.")


def test_long_sections_are_split_with_overlap_within_the_size() -> None:
    sentences = [f"Sentence number {i} talks about topic {i} at some length here." for i in range(40)]
    document = Document("x/long.md", "x", "# Long\n\n## Part\n" + " ".join(sentences))
    chunks = chunk_document(document, size=300, overlap=80)
    assert len(chunks) > 5
    assert all(len(chunk.text) <= 300 for chunk in chunks)
    for previous, following in itertools.pairwise(chunks):
        shared = set(previous.sentences) & set(following.sentences)
        assert shared, "consecutive pieces of a section overlap"
        assert sum(len(s) + 1 for s in shared) <= 80 + 1
    covered = {sentence for chunk in chunks for sentence in chunk.sentences}
    assert covered == set(sentences)


def test_overlong_sentence_is_cut_between_words() -> None:
    document = Document("x/run-on.md", "x", "# T\n\n" + "word " * 400)
    chunks = chunk_document(document, size=200, overlap=0)
    assert all(len(chunk.text) <= 200 for chunk in chunks)
    assert sum(chunk.text.count("word") for chunk in chunks) == 400


def test_document_without_title_is_named_after_its_file() -> None:
    chunks = chunk_document(Document("it-support/vpn-and-software.md", "it-support", "Connect with the VPN client."))
    assert chunks[0].title == "Vpn and software"
    assert chunks[0].section == ""
