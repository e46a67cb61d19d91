import os
from pathlib import Path

import pytest

from services.common.errors import InvalidInput
from services.rag.sources import content_digest, identify, parse_s3_url, read_directory


@pytest.mark.parametrize(
    ("relative", "document", "category"),
    [
        ("library/opening-hours.md", "library/opening-hours.md", "library"),
        ("IT Support/wifi.md", "it-support/wifi.md", "it-support"),
        ("housing__residence-halls.md", "housing/residence-halls.md", "housing"),
        ("welcome.md", "general/welcome.md", "general"),
        ("library/deep/nested.md", "library/deep/nested.md", "library"),
    ],
)
def test_document_identity_and_category(relative: str, document: str, category: str) -> None:
    assert identify(relative) == (document, category)


def test_configmap_mount_is_read_once_and_readmes_and_hidden_entries_are_skipped(tmp_path: Path) -> None:
    # A ConfigMap volume: visible files are symlinks into a hidden, timestamped folder.
    data = tmp_path / "..2026_01_01_00_00_00.123"
    data.mkdir()
    (data / "library__opening-hours.md").write_text("# Hours\n\nOpen daily.")
    (data / "README.md").write_text("# About this folder")
    (tmp_path / "..data").symlink_to(data.name)
    for name in ("library__opening-hours.md", "README.md"):
        (tmp_path / name).symlink_to(Path("..data") / name)
    (tmp_path / ".hidden.md").write_text("secret")
    (tmp_path / "notes.txt").write_text("not markdown")
    documents = read_directory(tmp_path)
    assert [(d.path, d.category) for d in documents] == [("library/opening-hours.md", "library")]


def test_unusable_sources_are_reported_clearly(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="does not exist"):
        read_directory(tmp_path / "missing")
    with pytest.raises(InvalidInput, match="no markdown"):
        read_directory(tmp_path)
    (tmp_path / "bad.md").write_bytes(b"\xff\xfe\x00broken")
    with pytest.raises(InvalidInput, match="not UTF-8"):
        read_directory(tmp_path)


def test_two_files_for_one_document_are_rejected(tmp_path: Path) -> None:
    os.makedirs(tmp_path / "library")
    (tmp_path / "library" / "hours.md").write_text("a")
    (tmp_path / "library__hours.md").write_text("b")
    with pytest.raises(InvalidInput, match="same document"):
        read_directory(tmp_path)


def test_s3_urls() -> None:
    assert parse_s3_url("s3://kb-bucket/tenants/leibniz") == ("kb-bucket", "tenants/leibniz/")
    assert parse_s3_url("s3://kb-bucket") == ("kb-bucket", "")
    with pytest.raises(InvalidInput):
        parse_s3_url("s3://A/b")


def test_content_digest_changes_with_any_text_and_ignores_order(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.md").write_text("one")
    (tmp_path / "a" / "two.md").write_text("two")
    first = read_directory(tmp_path)
    assert content_digest(first) == content_digest(list(reversed(first)))
    (tmp_path / "a" / "two.md").write_text("two!")
    assert content_digest(read_directory(tmp_path)) != content_digest(first)
