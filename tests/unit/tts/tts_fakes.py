"""Small hand-written fakes for the tts domain's collaborators: engines and the object-store client."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import numpy as np
from minio.datatypes import Object
from minio.error import S3Error

from services.tts.cache import AudioCache
from services.tts.voices import VoiceInfo

RATE = 16000


class FakeEngine:
    """Speaks 10 ms of a constant level per character, after an optional delay; can be told to fail."""

    def __init__(self, name: str, voices: list[tuple[str, str]], delay_s: float = 0.0) -> None:
        self.name = name
        self._voices = [VoiceInfo(voice, language, name, RATE) for voice, language in voices]
        self.delay_s = delay_s
        self.failing = False
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def voices(self) -> list[VoiceInfo]:
        return list(self._voices)

    def fingerprint(self, voice: str) -> str:
        return f"{self.name} 1.0; {voice}"

    def synthesize(self, text: str, voice: str) -> np.ndarray:
        with self._lock:
            self.calls.append(text)
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.failing:
            raise RuntimeError(f"{self.name} crashed")
        return np.full(len(text) * RATE // 100, 0.25, dtype=np.float32)


class _Response:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self) -> bytes:
        return self._data

    def close(self) -> None:
        pass

    def release_conn(self) -> None:
        pass


class FakeObjectStore:
    """The subset of the minio client the cache uses, in memory; ``down`` makes every call fail."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.content_types: dict[str, str] = {}
        self.down = False
        self.delay_s = 0.0
        self.calls = 0
        self.gets = 0

    def _enter(self) -> None:
        self.calls += 1
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.down:
            raise ConnectionRefusedError("connection refused")

    def _missing(self, name: str) -> S3Error:
        return S3Error(None, "NoSuchKey", "The specified key does not exist.", name, "", "")  # type: ignore[arg-type]

    def get_object(self, bucket: str, name: str) -> _Response:
        self.gets += 1
        self._enter()
        if name not in self.objects:
            raise self._missing(name)
        return _Response(self.objects[name])

    def put_object(self, bucket: str, name: str, data: io.BytesIO, length: int, content_type: str = "") -> None:
        self._enter()
        self.objects[name] = data.read(length)
        self.content_types[name] = content_type

    def stat_object(self, bucket: str, name: str) -> Object:
        self._enter()
        if name not in self.objects:
            raise self._missing(name)
        return Object(bucket, name, size=len(self.objects[name]))

    def presigned_get_object(self, bucket: str, name: str, expires: timedelta) -> str:
        return f"http://s3.test/{bucket}/{name}?X-Amz-Expires={int(expires.total_seconds())}"


CacheFactory = Callable[..., AudioCache]
