"""Settings of the gateway (environment variables prefixed VA_)."""

from pydantic import Field

from services.common.config import ServiceSettings


class GatewaySettings(ServiceSettings):
    http_port: int = Field(8080, ge=0, le=65535, description="HTTP/WebSocket port")
    stt_target: str = Field("dns:///stt-headless:50051", description="gRPC target of the stt service")
    intent_target: str = Field("dns:///intent-headless:50051", description="gRPC target of the intent service")
    rag_target: str = Field("dns:///rag-headless:50051", description="gRPC target of the rag service")
    tts_target: str = Field("dns:///tts-headless:50051", description="gRPC target of the tts service")
    fsm_target: str = Field("dns:///fsm-headless:50051", description="gRPC target of the fsm service")

    def downstream_targets(self) -> dict[str, str]:
        return {"stt": self.stt_target, "intent": self.intent_target, "rag": self.rag_target,
                "tts": self.tts_target, "fsm": self.fsm_target}
