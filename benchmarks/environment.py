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
from collections.abc import Mapping, Sequence
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


class LineProcess:
    """A helper Python process steered by JSON lines: one request line on its stdin, one
    answer line on its stdout; its error output goes to ours. Its first line says it is
    ready; closing its stdin asks it to finish."""

    def __init__(
        self,
        argv: Sequence[str],
        environment: Mapping[str, str],
        *,
        what: str,
        ready_timeout: float | None,
        stop_timeout: float,
    ) -> None:
        self._what = what
        self._stop_timeout = stop_timeout
        self._process = subprocess.Popen(
            list(argv),
            cwd=REPOSITORY,
            env=dict(environment),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            self.ready: dict[str, Any] = self.read(ready_timeout)
        except BaseException:
            self.stop()
            raise

    @property
    def pid(self) -> int:
        return self._process.pid

    def read(self, timeout: float | None) -> dict[str, Any]:
        """The next answer, waiting at most ``timeout`` seconds (None: as long as it takes);
        an answer ``{"error": ...}`` is raised."""
        stdout = self._process.stdout
        assert stdout is not None
        if timeout is None:
            line = stdout.readline()
        else:
            ready, _, _ = select.select([stdout], [], [], timeout)
            line = stdout.readline() if ready else ""
        if not line:
            try:
                code: int | None = self._process.wait(5)
            except subprocess.TimeoutExpired:
                code = None
            state = "is still running" if code is None else f"exited with code {code}"
            raise RuntimeError(
                f"{self._what} (pid {self.pid}) did not answer and {state} "
                "(its error output is above)"
            )
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"{self._what} refused a request: {answer['error']}")
        return answer

    def request(self, timeout: float | None, **request: Any) -> dict[str, Any]:
        """Send one request line and read its answer (see :meth:`read`)."""
        stdin = self._process.stdin
        assert stdin is not None
        stdin.write(json.dumps(request) + "\n")
        stdin.flush()
        return self.read(timeout)

    def stop(self) -> None:
        """Close its stdin and wait for it to finish; kill it if it has not within the stop
        timeout."""
        process = self._process
        if process.stdin is not None and not process.stdin.closed:
            process.stdin.close()
        try:
            process.wait(self._stop_timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


class ServerProcess(LineProcess):
    """A :mod:`benchmarks.sim_host` process and the line protocol to it."""

    def __init__(self, *arguments: str) -> None:
        super().__init__(
            [sys.executable, "-m", "benchmarks.sim_host", *arguments],
            child_environment(),
            what="the benchmark server",
            ready_timeout=_START_TIMEOUT,
            stop_timeout=15,
        )
        self.base_url: str = self.ready["base_url"]
        manifest = self.ready["manifest"]
        self.manifest: Path | None = None if manifest is None else Path(manifest)

    def cpu_seconds(self) -> float:
        """User + system CPU seconds the server has used so far (Linux ``/proc``)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        # after the command name: state is field 3 of stat(5), utime 14 and stime 15
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def command(self, name: str, **arguments: Any) -> dict[str, Any]:
        return self.request(_COMMAND_TIMEOUT, command=name, **arguments)


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
