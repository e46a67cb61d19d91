"""The committed stubs must be exactly what ``make protos`` generates."""

from pathlib import Path

from services.common.protogen import PROTO_ROOT, generate


def test_generated_stubs_are_up_to_date(tmp_path: Path) -> None:
    fresh = generate(tmp_path)
    assert fresh, "no stubs generated"
    stale = [
        str(p.relative_to(tmp_path))
        for p in fresh
        if not (PROTO_ROOT / p.relative_to(tmp_path)).exists()
        or (PROTO_ROOT / p.relative_to(tmp_path)).read_bytes() != p.read_bytes()
    ]
    assert not stale, f"stale generated stubs (run `make protos`): {stale}"


def test_generated_imports_need_no_path_tricks() -> None:
    from voiceagent.v1 import fsm_pb2_grpc, intent_pb2_grpc, rag_pb2_grpc, stt_pb2_grpc, tts_pb2_grpc

    stubs = [
        stt_pb2_grpc.SpeechToTextStub,
        tts_pb2_grpc.TextToSpeechStub,
        intent_pb2_grpc.IntentClassifierStub,
        rag_pb2_grpc.KnowledgeBaseStub,
        fsm_pb2_grpc.AppointmentBookingStub,
    ]
    assert all(isinstance(stub, type) for stub in stubs)
