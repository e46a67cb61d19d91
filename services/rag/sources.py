"""Reading the knowledge base: markdown documents from a directory or an S3 prefix.

A document's identity is ``<category>/<file>.md``. The category is the top-level
folder; a flat layout (a ConfigMap cannot hold folders) names files
``<category>__<file>.md`` instead; anything else is filed under ``general``.
Hidden entries are skipped, which also skips the ``..data`` and timestamped
folders of a ConfigMap mount (its visible files are symlinks into them), and so
are ``README.md`` files, which describe a folder rather than the institute.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from services.common.config import S3Settings
from services.common.errors import BackendUnavailable, InvalidInput
from services.common.stores import connect_s3

if TYPE_CHECKING:
    from minio import Minio

MARKDOWN_SUFFIXES = (".md", ".markdown")
FLAT_CATEGORY_SEPARATOR = "__"
DEFAULT_CATEGORY = "general"
MAX_DOCUMENT_BYTES = 1_000_000
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Document:
    """One markdown file of the knowledge base."""

    path: str  # "<category>/<file>.md"
    category: str
    text: str


def _slug(name: str) -> str:
    return _SLUG.sub("-", name.lower()).strip("-") or DEFAULT_CATEGORY


def identify(relative_path: str) -> tuple[str, str]:
    """(document path, category) of a file at ``relative_path`` inside the source."""
    parts = [part for part in PurePosixPath(relative_path).parts if part not in ("", ".")]
    name = parts[-1]
    if len(parts) >= 2:
        category = _slug(parts[0])
        name = "/".join(parts[1:])
    elif FLAT_CATEGORY_SEPARATOR in name:
        category, name = name.split(FLAT_CATEGORY_SEPARATOR, 1)
        category = _slug(category)
    else:
        category = DEFAULT_CATEGORY
    return f"{category}/{name}", category


def _is_markdown(relative_path: str) -> bool:
    parts = PurePosixPath(relative_path).parts
    return (
        relative_path.lower().endswith(MARKDOWN_SUFFIXES)
        and not any(part.startswith(".") for part in parts)
        and not parts[-1].lower().startswith("readme.")
    )


def _decode(raw: bytes, where: str) -> str:
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise InvalidInput(f"{where} is larger than {MAX_DOCUMENT_BYTES} bytes")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{where} is not UTF-8 text") from None


def _collect(files: dict[str, bytes], source: str) -> list[Document]:
    documents: dict[str, Document] = {}
    for relative_path in sorted(files):
        path, category = identify(relative_path)
        if path in documents:
            raise InvalidInput(f"two files of {source} map to the same document {path}")
        documents[path] = Document(path, category, _decode(files[relative_path], relative_path))
    if not documents:
        raise InvalidInput(f"the knowledge base at {source} holds no markdown documents")
    return list(documents.values())


def read_directory(root: Path) -> list[Document]:
    if not root.is_dir():
        raise InvalidInput(f"knowledge base directory {root} does not exist")
    files: dict[str, bytes] = {}
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for name in names:
            relative = Path(folder, name).relative_to(root).as_posix()
            if _is_markdown(relative):
                files[relative] = Path(folder, name).read_bytes()
    return _collect(files, str(root))


def parse_s3_url(url: str) -> tuple[str, str]:
    """(bucket, prefix) of ``s3://bucket/prefix``; the prefix ends with "/" unless empty."""
    match = re.fullmatch(r"s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:/(.*))?", url)
    if not match:
        raise InvalidInput(f"{url!r} is not an s3://bucket/prefix URL")
    prefix = (match.group(2) or "").strip("/")
    return match.group(1), f"{prefix}/" if prefix else ""


def _read_s3_objects(client: Minio, bucket: str, prefix: str) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for item in client.list_objects(bucket, prefix=prefix, recursive=True):
        key = item.object_name or ""
        relative = key[len(prefix) :]
        if item.is_dir or not _is_markdown(relative):
            continue
        response = client.get_object(bucket, key)
        try:
            files[relative] = response.read()
        finally:
            response.close()
            response.release_conn()
    return files


async def read_s3(url: str, settings: S3Settings) -> list[Document]:
    bucket, prefix = parse_s3_url(url)
    client = await connect_s3(settings.model_copy(update={"bucket": bucket}), create_bucket=False)
    try:
        files = await asyncio.to_thread(_read_s3_objects, client, bucket, prefix)
    except Exception as error:
        raise BackendUnavailable(f"cannot read the knowledge base from {url}: {error}") from None
    return _collect(files, url)


async def load_documents(source: str, s3: S3Settings | None = None) -> list[Document]:
    """All documents of ``source`` (a directory or ``s3://bucket/prefix``), sorted by path."""
    if source.startswith("s3://"):
        return await read_s3(source, s3 or S3Settings())
    return await asyncio.to_thread(read_directory, Path(source))


def content_digest(documents: list[Document]) -> str:
    """sha256 over every document's path and text: equal knowledge bases, equal digests."""
    digest = hashlib.sha256()
    for document in sorted(documents, key=lambda d: d.path):
        for part in (document.path, document.text):
            encoded = part.encode()
            digest.update(len(encoded).to_bytes(8, "big"))
            digest.update(encoded)
    return digest.hexdigest()
