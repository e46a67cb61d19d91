"""Settings of the stt service (environment variables prefixed VA_)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from services.common.config import ServiceSettings


class SttSettings(ServiceSettings):
    """stt service settings; see services/common/config.py for the shared fields."""

    stt_model: str = Field(
        "moonshine-base",
        description="Speech model: 'moonshine-base' (English), Whisper 'tiny.en' or 'base' (bundled), or a "
        "CTranslate2 Whisper model directory",
    )
    stt_model_cache: str = Field(
        "",
        description="Directory of models prepared for this machine (Moonshine's int8 ONNX files, made from the "
        "bundled package on the first start, ~8 s); empty: $XDG_CACHE_HOME/voiceagent or ~/.cache/voiceagent",
    )
    stt_compute_type: str = Field("int8", description="CTranslate2 compute type of the Whisper models")
    stt_decode_workers: int = Field(2, ge=1, le=16, description="Decodes that run in parallel")
    stt_decode_threads: int = Field(
        1, ge=1, le=16, description="Threads per decode (onnxruntime intra-op threads; CTranslate2 intra_threads)"
    )
    stt_partial_nice: int = Field(
        10,
        ge=0,
        le=19,
        description="Partials decode on a thread this much nicer (Linux), so finals win the CPU (Whisper: on a "
        "model copy of its own, whose threads inherit it)",
    )
    stt_beam_size: int = Field(
        5, ge=1, le=10, description="Beam size of Whisper finals (1 = greedy; partials and Moonshine are greedy)"
    )
    stt_min_window_s: int = Field(
        10, ge=1, le=30, description="Shortest Whisper window in seconds (features are zero-padded to it)"
    )
    stt_prompt: str = Field(
        "",
        description="Domain vocabulary given to the Whisper models as previous text (tenant name, topics; the "
        "operator sets it from a VoiceAgent's spec.sttVocabulary; Moonshine takes none). On the dev clips it helps "
        "robotic and telephone voices but can steer a natural one ('Perfect. Thank you. Perfect.')",
    )
    stt_fallback_model: str = Field(
        "", description="Stronger Whisper model (e.g. 'base') that re-decodes unsure finals; empty disables it"
    )
    stt_fallback_confidence: float = Field(
        0.55, ge=0.0, le=1.0, description="Finals below this confidence go to VA_STT_FALLBACK_MODEL"
    )
    stt_narrowband_model: str = Field(
        "base",
        description="Whisper model that decodes telephone-band finals (no power above 4.2 kHz: 8 kHz calls); "
        "tiny.en loses about half their words, base under a third; empty: VA_STT_MODEL decodes them too",
    )
    stt_vad_hop_ms: Literal[8, 16, 32] = Field(
        16,
        description="How often Silero's 32 ms window is scored; 8 sees telephone-band speech start ~20 ms "
        "sooner (the barge-in signal) for twice the VAD CPU of 16 (~0.5 against 0.25 ms per 32 ms of audio)",
    )
    stt_vad_threshold: float = Field(0.5, gt=0.15, lt=1.0, description="Silero speech probability threshold")
    stt_silence_hangover_ms: int = Field(500, ge=64, le=5000, description="Pause that ends an utterance")
    stt_min_speech_ms: int = Field(200, ge=0, le=5000, description="Shorter utterances are discarded")
    stt_max_utterance_ms: int = Field(30_000, ge=1000, le=30_000, description="Utterances are cut at this length")
    stt_speculate_after_ms: int = Field(
        96, ge=32, le=1000, description="Pause after which the final is decoded speculatively"
    )
    stt_preroll_ms: int = Field(500, ge=0, le=1000, description="Lead-in kept before the detected speech onset")
    stt_partial_interval_ms: int = Field(500, ge=100, le=5000, description="Partial transcript cadence")
    stt_max_streams: int = Field(16, ge=1, description="Concurrent streams per process (more: RESOURCE_EXHAUSTED)")
    stt_rate_limit: Literal["reject", "throttle", "off"] = Field(
        "reject",
        description="Audio faster than real time beyond the burst: reject (RESOURCE_EXHAUSTED), "
        "throttle (stop reading until real time catches up) or off (offline use, benches)",
    )
    stt_burst_ms: int = Field(3000, ge=0, description="How far audio may run ahead of real time")
    stt_idle_timeout_s: float = Field(
        30.0, gt=0, description="A stream with no message for this long is ended (RESOURCE_EXHAUSTED)"
    )
    stt_max_stream_s: float = Field(1800.0, gt=0, description="Longest audio one stream may carry")
    stt_max_file_s: float = Field(600.0, gt=0, description="Longest audio Recognize accepts")
