"""Nothing is lost: a service restart mid-dialogue, a MongoDB outage at the confirmation, per-agent rules.

These tests start their own fsm processes (and, for the outage, their own
nx-27017 server on a fixed port and data directory) so they can stop and
start them.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from voiceagent.v1 import fsm_pb2, fsm_pb2_grpc

from services.stack.backends import BackendEndpoints, start_mongo
from services.stack.health import grpc_serving
from services.stack.processes import ManagedProcess, free_port, wait_until
from services.stack.stack import REPO_ROOT, service_env

pytestmark = pytest.mark.integration
NOW = "2026-03-02T10:00:00"  # Monday


class FsmProcess:
    """``python -m services.fsm`` that a test can stop and start again."""

    def __init__(self, backends: BackendEndpoints, logs: Path, **env: str) -> None:
        self.backends, self.logs, self.env = backends, logs, env
        self.process: ManagedProcess | None = None
        self.address = ""

    def start(self) -> str:
        port = free_port()
        self.process = ManagedProcess(
            "fsm",
            [sys.executable, "-m", "services.fsm"],
            self.logs / f"fsm-{port}.log",
            cwd=REPO_ROOT,
            env=service_env(self.backends, {"VA_GRPC_PORT": str(port), "VA_METRICS_PORT": "0", **self.env}),
        ).start()
        self.address = f"127.0.0.1:{port}"
        wait_until(lambda: grpc_serving(self.address), self.process, 60, "fsm")
        return self.address

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()


@pytest.fixture
def fsm_processes(backends: BackendEndpoints, tmp_path: Path) -> Iterator[list[FsmProcess]]:
    started: list[FsmProcess] = []
    yield started
    for process in started:
        process.stop()


def launch(started: list[FsmProcess], backends: BackendEndpoints, logs: Path, **env: str) -> FsmProcess:
    process = FsmProcess(backends, logs, **env)
    started.append(process)
    process.start()
    return process


def call(address: str, method: str, request: object, timeout: float = 15) -> Any:
    with grpc.insecure_channel(address) as channel:
        return getattr(fsm_pb2_grpc.AppointmentBookingStub(channel), method)(request, timeout=timeout)


def turn(address: str, session_id: str, text: str) -> fsm_pb2.TurnResponse:
    return call(address, "ProcessTurn", fsm_pb2.TurnRequest(session_id=session_id, text=text, now=NOW))


def test_a_restart_mid_dialogue_loses_nothing(
    backends: BackendEndpoints, tmp_path: Path, fsm_processes: list[FsmProcess]
) -> None:
    fsm = launch(fsm_processes, backends, tmp_path, VA_AGENT="it/fsm-restart")
    sid = f"restart-{uuid.uuid4().hex[:8]}"
    call(fsm.address, "Start", fsm_pb2.StartRequest(session_id=sid, now=NOW, text="I'd like an appointment"))
    assert turn(fsm.address, sid, "Thursday").state.state == "WAITING_FOR_TIME"
    assert turn(fsm.address, sid, "10 am").state.state == "WAITING_FOR_PURPOSE"
    fsm.stop()
    fsm.start()  # a new process on a new port: everything it knows comes from Redis
    assert turn(fsm.address, sid, "Thesis supervision.").state.state == "WAITING_FOR_NAME"
    read_back = turn(fsm.address, sid, "Lena Hoffmann")
    assert read_back.state.state == "CONFIRMATION" and "Thursday, March 5th at 10 a.m." in read_back.reply
    done = turn(fsm.address, sid, "yes")
    assert done.state.state == "COMPLETED" and done.state.appointment.date == "2026-03-05"


def test_mongodb_down_at_the_confirmation_is_unavailable_and_a_retry_books_once(
    backends: BackendEndpoints, tmp_path: Path, fsm_processes: list[FsmProcess]
) -> None:
    mongo, mongo_url = start_mongo(tmp_path / "own-mongo")
    try:
        fsm = launch(fsm_processes, backends, tmp_path, VA_AGENT="it/fsm-outage", VA_MONGO_URL=mongo_url)
        sid = f"outage-{uuid.uuid4().hex[:8]}"
        call(fsm.address, "Start", fsm_pb2.StartRequest(session_id=sid, now=NOW, text="Friday at 2 pm please"))
        turn(fsm.address, sid, "Module recognition.")
        assert turn(fsm.address, sid, "Aylin Demir").state.state == "CONFIRMATION"

        mongo.stop()
        asked = time.monotonic()
        with pytest.raises(grpc.RpcError) as failure:
            turn(fsm.address, sid, "Yes.")
        assert failure.value.code() == grpc.StatusCode.UNAVAILABLE
        assert time.monotonic() - asked < 3.0  # within the gateway's fsm deadline
        assert "appointment database is unavailable" in str(failure.value.details())
        kept = call(fsm.address, "Get", fsm_pb2.GetRequest(session_id=sid))
        assert kept.state == "CONFIRMATION" and kept.slots.user_name == "Aylin Demir"

        # The same server, on the same port and data directory, comes back; the caller's retry books.
        mongo = ManagedProcess("mongo", mongo.argv, tmp_path / "own-mongo" / "restarted.log").start()
        deadline = time.monotonic() + 30
        while True:
            try:
                done = turn(fsm.address, sid, "Yes.")
                break
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.UNAVAILABLE
                assert time.monotonic() < deadline, "MongoDB did not come back"
                time.sleep(0.5)
        assert done.state.state == "COMPLETED"
        listed = call(fsm.address, "ListAppointments", fsm_pb2.ListAppointmentsRequest(date="2026-03-06"))
        assert [(a.time, a.user_name) for a in listed.appointments] == [("14:00", "Aylin Demir")]
    finally:
        mongo.stop()


def test_per_agent_rules_come_from_the_rules_file(
    backends: BackendEndpoints, tmp_path: Path, fsm_processes: list[FsmProcess]
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "days: [monday, tuesday, wednesday, thursday, friday, saturday]\nopens: '10:00'\n"
        "closes: '14:00'\nslot_minutes: 60\n"
    )
    fsm = launch(fsm_processes, backends, tmp_path, VA_AGENT="it/fsm-rules", VA_BOOKING_RULES_FILE=str(rules))
    sid = f"rules-{uuid.uuid4().hex[:8]}"
    opening = call(fsm.address, "Start", fsm_pb2.StartRequest(session_id=sid, now=NOW, text="Saturday at 11 am"))
    assert not opening.rejected and opening.state.state == "WAITING_FOR_PURPOSE"
    refused = turn(fsm.address, sid, "make it 11:30")
    assert refused.rejection_code == "off_grid" and "on the hour" in refused.reply
    late = turn(fsm.address, sid, "2 pm")
    assert late.rejection_code == "out_of_hours" and "1 p.m." in late.rejection_reason


def test_a_bad_rules_file_stops_the_service_with_a_clear_message(backends: BackendEndpoints, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("slot_minutes: -5\n")
    log = tmp_path / "bad.log"
    process = ManagedProcess(
        "fsm",
        [sys.executable, "-m", "services.fsm"],
        log,
        cwd=REPO_ROOT,
        env=service_env(
            backends, {"VA_GRPC_PORT": str(free_port()), "VA_METRICS_PORT": "0", "VA_BOOKING_RULES_FILE": str(rules)}
        ),
    ).start()
    try:
        assert process.popen is not None and process.popen.wait(timeout=30) != 0
    finally:
        process.stop()
    assert "booking rules file" in log.read_text() and "slot_minutes" in log.read_text()
