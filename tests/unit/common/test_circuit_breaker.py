import pytest

from services.common.clients import CircuitBreaker, CircuitOpen, error_from_status, service_config
from services.common.errors import BackendUnavailable


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_threshold_and_recovers_through_half_open() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("rag", failure_threshold=3, reset_after_s=5, clock=clock)
    for _ in range(3):
        breaker.before_call()
        breaker.record_failure()
    assert breaker.state == "open"
    with pytest.raises(CircuitOpen, match="rag is unavailable"):
        breaker.before_call()
    clock.now = 5.0
    assert breaker.state == "half-open"
    breaker.before_call()  # the single trial call
    with pytest.raises(CircuitOpen):
        breaker.before_call()  # a second concurrent call is refused while the trial runs
    breaker.record_success()
    assert breaker.state == "closed"


def test_failed_trial_reopens_for_a_full_period() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker("tts", failure_threshold=1, reset_after_s=2, clock=clock)
    breaker.before_call()
    breaker.record_failure()
    clock.now = 2.0
    breaker.before_call()
    breaker.record_failure()
    assert breaker.state == "open"
    clock.now = 3.9
    assert breaker.state == "open"


def test_success_resets_the_failure_count() -> None:
    breaker = CircuitBreaker("intent", failure_threshold=2)
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state == "closed"


def test_circuit_open_is_a_backend_unavailable_error() -> None:
    assert issubclass(CircuitOpen, BackendUnavailable)


def test_service_config_retries_only_named_services() -> None:
    config = service_config(["voiceagent.v1.IntentClassifier"])
    assert '"round_robin"' in config and "IntentClassifier" in config and "RagService" not in config
    assert callable(error_from_status)
