"""No orphans: children stop with the launcher, even when the launcher is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from services.stack.processes import ManagedProcess

pytestmark = pytest.mark.integration


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is already dead
        return stat.read().split()[2] != "Z"


def _wait_dead(pid: int, timeout_s: float = 10) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_stop_terminates_the_whole_process_group(tmp_path: Path) -> None:
    script = "import subprocess,time; subprocess.Popen(['sleep','300']); time.sleep(300)"
    process = ManagedProcess("parent", [sys.executable, "-c", script], tmp_path / "p.log").start()
    time.sleep(0.5)
    group = [
        int(p) for p in subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True, text=True).stdout.split()
    ]
    assert len(group) == 2
    process.stop(grace_s=2)
    assert all(_wait_dead(pid) for pid in group)


def test_children_die_when_the_launcher_is_killed(tmp_path: Path) -> None:
    launcher = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from services.stack.processes import ManagedProcess
        child = ManagedProcess("sleeper", ["sleep", "300"], Path({str(tmp_path)!r}) / "c.log").start()
        print(child.pid, flush=True)
        time.sleep(300)
    """)
    parent = subprocess.Popen([sys.executable, "-c", launcher], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    assert _alive(child_pid)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    assert _wait_dead(child_pid), "child outlived its SIGKILLed launcher"
