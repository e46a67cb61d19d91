"""Fixtures wiring the fakes of tts_fakes.py into the tts domain objects."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from services.common.errors import BackendUnavailable
from services.tts.cache import AudioCache
from tests.unit.tts.tts_fakes import CacheFactory, FakeEngine, FakeObjectStore


@pytest.fixture
def store() -> FakeObjectStore:
    return FakeObjectStore()


@pytest.fixture
def make_cache(store: FakeObjectStore) -> CacheFactory:
    """An AudioCache over the fake store; connecting fails while the store is down."""

    def make(**options: Any) -> AudioCache:
        async def connect() -> Any:
            if store.down:
                raise BackendUnavailable("S3 at s3.test is unusable: connection refused")
            return store

        connect_fn: Callable[[], Awaitable[Any]] = connect
        return AudioCache(connect_fn, "voiceagent", "default--leibniz/tts", **options)

    return make


@pytest.fixture
def primary() -> FakeEngine:
    return FakeEngine("piper", [("joe", "en-US")])


@pytest.fixture
def backup() -> FakeEngine:
    return FakeEngine("espeak-ng", [("espeak-en-us", "en-US"), ("espeak-de", "de")])
