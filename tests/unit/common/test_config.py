import pytest

from services.common.config import ServiceSettings, load_settings
from services.gateway.config import GatewaySettings
from services.stt.config import SttSettings


def test_defaults_and_tenant_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VA_AGENT", "tenant-a/front-desk")
    settings = load_settings(ServiceSettings)
    assert settings.grpc_port == 50051
    assert settings.key_prefix == "va:tenant-a/front-desk:"
    assert settings.agent_slug == "tenant-a--front-desk"


@pytest.mark.parametrize(
    ("settings_class", "variable", "value"),
    [
        (ServiceSettings, "VA_GRPC_PORT", "not-a-port"),
        (ServiceSettings, "VA_GRPC_PORT", "70000"),
        (ServiceSettings, "VA_LOG_LEVEL", "LOUD"),
        (ServiceSettings, "VA_AGENT", "no-slash"),
        (SttSettings, "VA_STT_PARTIAL_NICE", "20"),  # Linux nice values stop at 19
        (GatewaySettings, "VA_HTTP_KEEP_ALIVE_S", "0"),
    ],
)
def test_bad_value_stops_with_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    settings_class: type[ServiceSettings],
    variable: str,
    value: str,
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SystemExit) as stopped:
        load_settings(settings_class)
    assert stopped.value.code == 2
    message = capsys.readouterr().err.strip()
    assert len(message.splitlines()) == 1
    assert variable in message and repr(value) in message
