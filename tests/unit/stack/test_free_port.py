import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.stack import processes
from services.stack.processes import first_ephemeral_port, free_port


def test_ports_lie_below_the_ephemeral_range_and_are_never_handed_out_twice() -> None:
    low = first_ephemeral_port()
    ports = [free_port() for _ in range(200)]
    assert len(set(ports)) == len(ports)
    assert all(port < low for port in ports)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", ports[-1]))  # free indeed


def test_a_port_in_use_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken_port = taken.getsockname()[1]
        spare = free_port()
        processes._handed_out.discard(spare)
        draws: Iterator[int] = iter([taken_port, spare])
        monkeypatch.setattr(processes.random, "randrange", lambda *_: next(draws))
        assert free_port() == spare


def test_the_ephemeral_range_start_comes_from_the_kernel_or_linux_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    setting = tmp_path / "ip_local_port_range"
    setting.write_text("40000\t50000\n")
    monkeypatch.setattr(processes, "_EPHEMERAL_RANGE_FILE", setting)
    assert first_ephemeral_port() == 40000
    monkeypatch.setattr(processes, "_EPHEMERAL_RANGE_FILE", tmp_path / "missing")
    assert first_ephemeral_port() == 32768
