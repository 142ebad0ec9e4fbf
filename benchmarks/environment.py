"""What the network and process cases run against: servers in their own processes, a scratch
folder, and the environment child Pythons start with.

Servers start on first use and stop when the run ends; everything they write (test PKI,
SQLite state, downloaded files) lives in one temporary folder that is removed afterwards.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

REPOSITORY = Path(__file__).resolve().parent.parent
_START_TIMEOUT = 120.0
_COMMAND_TIMEOUT = 30.0


def child_environment() -> dict[str, str]:
    """The environment of child Pythons: this one, minus what would make their start-up
    unlike a user's (no bytecode cache writing would make every start compile from source)."""
    environment = dict(os.environ)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    return environment


def stop_process(process: subprocess.Popen[str], timeout: float) -> None:
    """End a helper process that serves commands on its stdin: closing stdin asks it to
    finish; after ``timeout`` seconds it is killed."""
    if process.stdin is not None and not process.stdin.closed:
        process.stdin.close()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


class ServerProcess:
    """A :mod:`benchmarks.sim_host` process and the line protocol to it."""

    def __init__(self, *arguments: str) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.sim_host", *arguments],
            cwd=REPOSITORY,
            env=child_environment(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            hello = self._read(_START_TIMEOUT)
        except BaseException:
            self.stop()
            raise
        self.base_url: str = hello["base_url"]
        self.manifest: Path | None = None if hello["manifest"] is None else Path(hello["manifest"])

    @property
    def pid(self) -> int:
        return self._process.pid

    def cpu_seconds(self) -> float:
        """User + system CPU seconds the server has used so far (Linux ``/proc``)."""
        fields = Path(f"/proc/{self._process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        # after the command name: state is field 3 of stat(5), utime 14 and stime 15
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _read(self, timeout: float) -> dict[str, Any]:
        stdout = self._process.stdout
        assert stdout is not None
        ready, _, _ = select.select([stdout], [], [], timeout)
        line = stdout.readline() if ready else ""
        if not line:
            try:
                code: int | None = self._process.wait(5)
            except subprocess.TimeoutExpired:
                code = None
            state = "is still running" if code is None else f"exited with code {code}"
            raise RuntimeError(
                f"the benchmark server (pid {self._process.pid}) did not answer and {state} "
                "(its error output is above)"
            )
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"the benchmark server refused a command: {answer['error']}")
        return answer

    def command(self, name: str, **arguments: Any) -> dict[str, Any]:
        stdin = self._process.stdin
        assert stdin is not None
        stdin.write(json.dumps({"command": name, **arguments}) + "\n")
        stdin.flush()
        return self._read(_COMMAND_TIMEOUT)

    def stop(self) -> None:
        stop_process(self._process, 15)


class Environment:
    """Servers and scratch space shared by the cases of one run."""

    def __init__(self) -> None:
        self._scratch = tempfile.TemporaryDirectory(prefix="mms-benchmarks-")
        self.folder = Path(self._scratch.name)
        self._simulator: ServerProcess | None = None
        self._servers: list[ServerProcess] = []

    def simulator(self) -> ServerProcess:
        """The simulator, started on first use (its state folder persists for the run)."""
        if self._simulator is None:
            started = time.perf_counter()
            self._simulator = self.start_server("simulator", str(self.folder / "simulator"))
            print(
                f"  (simulator started in {time.perf_counter() - started:.1f} s, "
                f"pid {self._simulator.pid})",
                flush=True,
            )
        return self._simulator

    def start_server(self, *arguments: str) -> ServerProcess:
        """Another server process, stopped at the end of the run (or earlier by the case)."""
        server = ServerProcess(*arguments)
        self._servers.append(server)
        return server

    def close(self) -> None:
        for server in self._servers:
            server.stop()
        self._servers.clear()
        self._simulator = None
        self._scratch.cleanup()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
