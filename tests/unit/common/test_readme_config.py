from services.common.settings_doc import BEGIN, END, README, render


def test_readme_configuration_reference_is_current() -> None:
    text = README.read_text()
    assert BEGIN in text and END in text, "README lost its configuration markers"
    documented = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert documented == render(), "README config table is stale: run `python -m services.common.settings_doc --write`"
