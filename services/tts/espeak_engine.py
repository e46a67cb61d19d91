"""The fallback engine: espeak-ng through ctypes, from the library and data of ``espeakng-loader``.

espeak-ng keeps global state (one current voice, one callback), so the library
is initialized once per process and every synthesis holds a lock. It is fast
(a few ms per sentence) and speaks ~100 languages, which is why it backs up
piper when piper fails or has no voice for a language.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Sequence

import espeakng_loader
import numpy as np

from services.common.errors import InvalidInput
from services.tts.voices import VoiceInfo, language_tag

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_ESPEAK_CHARS_UTF8 = 1
_ESPEAK_RATE = 1
_EE_OK = 0

_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class _Voice(ctypes.Structure):
    """``espeak_VOICE``; ``languages`` is a list of (priority byte, NUL-terminated code), ended by a 0 byte."""

    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


def _languages(pointer: int) -> list[str]:
    codes: list[str] = []
    address = pointer
    while ctypes.string_at(address, 1) != b"\0":
        code = ctypes.string_at(address + 1)
        codes.append(code.decode("ascii", "replace").lower())
        address += len(code) + 2
    return codes


class _EspeakLibrary:
    """The process-wide espeak-ng instance (synchronous mode, samples collected by a callback)."""

    _instance: _EspeakLibrary | None = None
    _instance_lock = threading.Lock()

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self._lib.espeak_Info.restype = ctypes.c_char_p
        self._lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self._lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        data_path = espeakng_loader.get_data_path().encode()
        self.sample_rate = int(self._lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path, 0))
        if self.sample_rate <= 0:
            raise RuntimeError("espeak-ng failed to initialize")
        self.version = (self._lib.espeak_Info(None) or b"?").decode()
        self._chunks: list[np.ndarray] = []
        self._callback = _SynthCallback(self._collect)  # kept referenced: espeak-ng calls it later
        self._lib.espeak_SetSynthCallback(self._callback)
        self.identifiers = self._voice_identifiers()

    def _voice_identifiers(self) -> dict[str, str]:
        """Language code → voice identifier; a voice whose first language is the code wins."""
        self._lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))
        listed = self._lib.espeak_ListVoices(None)
        voices: list[tuple[str, list[str]]] = []
        index = 0
        while listed[index]:
            voice = listed[index].contents
            voices.append(((voice.identifier or b"").decode(), _languages(voice.languages or 0)))
            index += 1
        identifiers: dict[str, str] = {}
        for identifier, codes in voices:
            if codes:
                identifiers.setdefault(codes[0], identifier)
        for identifier, codes in voices:
            for code in codes:
                identifiers.setdefault(code, identifier)
        return identifiers

    @classmethod
    def get(cls) -> _EspeakLibrary:
        with cls._instance_lock:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def _collect(self, samples: ctypes._Pointer, count: int, _events: int | None) -> int:
        if count > 0:
            self._chunks.append(np.ctypeslib.as_array(samples, shape=(count,)).copy())
        return 0

    def synthesize(self, text: str, identifier: str, words_per_minute: int) -> np.ndarray:
        encoded = text.encode("utf-8")
        with self.lock:
            if self._lib.espeak_SetVoiceByName(identifier.encode()) != _EE_OK:
                raise RuntimeError(f"espeak-ng cannot select voice {identifier!r}")
            self._lib.espeak_SetParameter(_ESPEAK_RATE, words_per_minute, 0)
            self._chunks = []
            status = self._lib.espeak_Synth(
                encoded, len(encoded) + 1, 0, _POS_CHARACTER, 0, _ESPEAK_CHARS_UTF8, None, None
            )
            self._lib.espeak_Synchronize()
            chunks, self._chunks = self._chunks, []
        if status != _EE_OK:
            raise RuntimeError(f"espeak-ng synthesis failed with status {status}")
        if not chunks:
            return np.zeros(0, dtype=np.float32)
        return (np.concatenate(chunks).astype(np.float32) / 32768.0).astype(np.float32)


class EspeakEngine:
    """espeak-ng voices named ``espeak-<language>``, e.g. ``espeak-en-us`` or ``espeak-de``."""

    name = "espeak-ng"
    PREFIX = "espeak-"

    def __init__(self, languages: Sequence[str], words_per_minute: int = 165) -> None:
        self._library = _EspeakLibrary.get()
        self._words_per_minute = words_per_minute
        codes = list(dict.fromkeys(code.lower() for code in languages))
        unknown = [code for code in codes if code not in self._library.identifiers]
        if unknown:
            raise InvalidInput(f"espeak-ng has no voice for {', '.join(unknown)}")
        self._identifiers = {f"{self.PREFIX}{code}": self._library.identifiers[code] for code in codes}
        self._voices = {
            name: VoiceInfo(name, language_tag(name.removeprefix(self.PREFIX)), self.name, self._library.sample_rate)
            for name in self._identifiers
        }

    @staticmethod
    def knows(language: str) -> bool:
        """Whether espeak-ng has a voice for a language code such as ``de`` or ``en-us``."""
        return language.lower() in _EspeakLibrary.get().identifiers

    def voices(self) -> list[VoiceInfo]:
        return list(self._voices.values())

    def fingerprint(self, voice: str) -> str:
        return f"espeak-ng {self._library.version}; {self._identifiers[voice]}; {self._words_per_minute} wpm"

    def synthesize(self, text: str, voice: str) -> np.ndarray:
        return self._library.synthesize(text, self._identifiers[voice], self._words_per_minute)
