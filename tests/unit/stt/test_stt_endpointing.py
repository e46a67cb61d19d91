"""The endpointing state machine on hand-made probability sequences (1 step = 32 ms here)."""

from services.stt.endpointing import EndpointConfig, Endpointer, Pause, Resume, SpeechEnd, SpeechStart

CONFIG = EndpointConfig(
    threshold=0.5, hangover_ms=320, min_speech_ms=200, max_utterance_ms=3200, speculate_after_ms=96, step_ms=32
)


def run(probabilities: list[float], config: EndpointConfig = CONFIG) -> list[tuple[int, object]]:
    endpointer = Endpointer(config)
    events: list[tuple[int, object]] = []
    for frame, probability in enumerate(probabilities):
        events.extend((frame, event) for event in endpointer.push(probability))
    events.extend((len(probabilities), event) for event in endpointer.finish())
    return events


def test_speech_starts_on_the_first_speech_frame() -> None:
    events = run([0.0, 0.1, 0.9, 0.9])
    assert events[0] == (2, SpeechStart(2))


def test_pause_speculates_then_hangover_ends_the_utterance() -> None:
    events = run([0.9] * 10 + [0.0] * 12)
    kinds = [(frame, type(event).__name__) for frame, event in events]
    assert kinds == [(0, "SpeechStart"), (12, "Pause"), (19, "SpeechEnd")]  # 3 frames ≥ 96 ms, 10 frames = 320 ms
    end = events[-1][1]
    assert isinstance(end, SpeechEnd) and end.last_speech_frame == 9 and not end.discarded and not end.cut


def test_speech_resuming_in_the_hangover_cancels_the_pause() -> None:
    events = [event for _, event in run([0.9] * 10 + [0.0] * 5 + [0.9] * 5 + [0.0] * 12)]
    assert [type(event).__name__ for event in events] == ["SpeechStart", "Pause", "Resume", "Pause", "SpeechEnd"]
    assert events[2] == Resume(15)
    assert events[3] == Pause(19)


def test_hysteresis_keeps_speech_between_the_two_thresholds() -> None:
    events = [event for _, event in run([0.9] * 8 + [0.4] * 20 + [0.0] * 12)]
    end = events[-1]
    assert isinstance(end, SpeechEnd) and end.last_speech_frame == 27


def test_a_blip_shorter_than_min_speech_is_discarded() -> None:
    events = [event for _, event in run([0.9] * 3 + [0.0] * 12)]
    end = events[-1]
    assert isinstance(end, SpeechEnd) and end.discarded


def test_long_speech_is_cut_at_max_utterance_and_a_new_one_starts() -> None:
    events = [event for _, event in run([0.9] * 120)]
    names = [type(event).__name__ for event in events]
    assert names == ["SpeechStart", "SpeechEnd", "SpeechStart", "SpeechEnd"]
    first_end = events[1]
    assert isinstance(first_end, SpeechEnd) and first_end.cut and first_end.frame == 99


def test_end_of_stream_closes_open_speech() -> None:
    events = run([0.9] * 10)
    _, end = events[-1]
    assert isinstance(end, SpeechEnd) and end.cut and not end.discarded


def test_silence_only_produces_nothing() -> None:
    assert run([0.01] * 100) == []
