"""Reading a service's Prometheus endpoint from an async test."""

from __future__ import annotations

import asyncio
import urllib.request


async def scrape_metrics(port: int) -> str:
    """The text exposition of ``http://127.0.0.1:{port}/metrics`` (fetched off the event loop)."""
    url = f"http://127.0.0.1:{port}/metrics"
    return await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=5).read().decode())
