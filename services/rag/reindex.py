"""One-shot reindex, run by the operator as a Kubernetes Job: ``python -m services.rag.reindex``.

Reads VA_KB_SOURCE, builds a new collection in Qdrant (VA_QDRANT_URL), switches
the alias, prints one JSON line with the outcome and exits 0; on any failure it
prints a one-line reason to stderr and exits 1. Running services notice the new
revision within VA_STATE_REFRESH_S.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from services.common.config import S3Settings, load_settings
from services.common.errors import ServiceError
from services.rag.config import RagSettings
from services.rag.factory import open_runtime


async def run(settings: RagSettings, s3: S3Settings, source: str, force: bool) -> dict[str, object]:
    runtime = await open_runtime(settings, s3=s3)
    try:
        result = await runtime.engine.reindex(source, force=force)
    finally:
        await runtime.close()
    return {
        "kb_revision": result.manifest.revision,
        "documents": result.manifest.documents,
        "chunks": result.manifest.chunks,
        "collection": result.collection,
        "changed": result.changed,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.rag.reindex", description=__doc__.splitlines()[0])
    parser.add_argument("--source", default="", help="override VA_KB_SOURCE (a directory or s3://bucket/prefix)")
    parser.add_argument("--force", action="store_true", help="rebuild even when the revision is unchanged")
    args = parser.parse_args(argv)
    settings = load_settings(RagSettings)
    s3 = load_settings(S3Settings)
    try:
        outcome = asyncio.run(run(settings, s3, args.source, args.force))
    except ServiceError as error:
        print(f"reindex failed: {error.message}", file=sys.stderr)
        return 1
    print(json.dumps(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main())
