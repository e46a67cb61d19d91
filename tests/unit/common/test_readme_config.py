from services.common.settings_doc import BEGIN, END, README, render


def test_readme_configuration_reference_is_current() -> None:
    text = README.read_text()
    assert BEGIN in text and END in text, "README lost its configuration markers"
    documented = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert documented == render(), "README config table is stale: run `python -m services.common.settings_doc --write`"


def test_a_component_that_changes_a_shared_default_gets_its_own_row() -> None:
    rows = [line for line in render().splitlines() if line.startswith("| `VA_GIL_SWITCH_INTERVAL_MS` |")]
    assert [row.split(" | ")[1:3] for row in rows] == [["all services", "`5.0`"], ["rag", "`1.0`"]]
