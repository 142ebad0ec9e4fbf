"""Side by side with the established client, ``mms-client`` 1.10.0 from PyPI, in the same run.

The speed targets were set against the established client, so this case measures its version
of our jobs on the same machine, in the same run, and puts our figure next to it: ``ours``
is our figure, ``floor`` the established client's, and the ratio is ours / theirs (below one
means we are faster). Each row's details hold both sides' ratios to the floor of their own
process, since the two run on different lxml and cryptography releases.

- import: ``python -c "import mms_client"`` and ``import mms_client.client`` (where both
  keep ``MmsClient``; the established package's ``__init__`` is empty) in each virtualenv,
  whole processes taking turns with each other and with ``python -c pass``.
- first call: a fresh process that imports the client, builds it from the simulator's
  PKCS#12 and puts one offer to the simulator; ours is :mod:`benchmarks.first_call`, theirs
  :mod:`benchmarks.established_driver`, taking turns.
- round trip: one put_offer after another to the same simulator, each client in its own
  process, taking turns sample by sample (elapsed time per call): ours with a fresh
  connection per request and with reuse, theirs as its ``requests`` session connects.
- serialize + sign, parse: CPU time per call in each client's own process, for every N:
  ours as in :mod:`benchmarks.cases.documents`, theirs in the driver, each against the floors
  of :mod:`benchmarks.floors` measured in the same process.

The established client runs in a virtualenv of its own (:mod:`benchmarks.established`);
without it (offline) the case prints why and measures nothing.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks import documents
from benchmarks.cases import documents as document_cases
from benchmarks.cases import startup
from benchmarks.connection import Connection
from benchmarks.environment import REPOSITORY, Environment, LineProcess, child_environment
from benchmarks.established import (
    LABEL,
    VERSION,
    EstablishedClientUnavailableError,
    established_python,
    is_ready,
)
from benchmarks.established_driver import library_versions
from benchmarks.first_call import DONE_MARKER, our_put
from benchmarks.harness import (
    ProcessTimes,
    Result,
    Settings,
    Stats,
    alternate,
    sampler,
    time_processes,
    whole_process_details,
)

CASE = "established"
RELEASE = {"release": VERSION}
"""The first parameter of every row, so that its name says which release it was measured
against: ``established[release=1.10.0,job=...]``."""
WHOLE_PROCESS = "wall-clock time of the whole process"
CPU_PER_CALL = "CPU time per call, each client in its own process"
IMPORTED = ("mms_client", "mms_client.client")
_OUR_LIBRARIES = ("pydantic", "lxml", "cryptography")
OUR_ROUND_TRIP_DAY = date(2024, 8, 1)
THEIR_ROUND_TRIP_DAY = date(2024, 8, 2)
"""The days of the round trips' offers, each side's own (no other case puts offers then)."""


def side_by_side(settings: Settings, environment: Environment) -> Iterator[Result]:
    """Every job of both clients: the imports, the first call, then per N the document jobs
    (the established client's measurement, then ours)."""
    if not is_ready():
        print(f"  (installing the {LABEL} from PyPI into its own virtualenv, once)", flush=True)
    try:
        python = established_python()
    except EstablishedClientUnavailableError as exc:
        print(f"  skipped: {exc}", flush=True)
        return
    variables = _process_environment()
    _check_established_package(python, variables)
    yield from _imports(python, settings, variables)
    manifest = environment.simulator().manifest
    assert manifest is not None
    connection = Connection.load(manifest)
    variables = _trusting_simulator(variables, connection.manifest.ca)
    yield from _first_call(python, settings, manifest, variables)
    driver = _Driver(python, variables)
    try:
        yield from _round_trips(driver, settings, manifest, connection)
        yield from _documents(driver, settings, environment)
    finally:
        driver.stop()


def _process_environment() -> dict[str, str]:
    """The environment of both clients' processes, without ``PYTHONPATH``: each side must
    import its own ``mms_client`` and nothing else of that name."""
    variables = child_environment()
    variables.pop("PYTHONPATH", None)
    return variables


def _check_established_package(python: Path, variables: Mapping[str, str]) -> None:
    """Fail before measuring when the established Python would import another package named
    ``mms_client`` (ours) than the established client of its virtualenv."""
    completed = subprocess.run(
        [str(python), "-c", "import mms_client; print(mms_client.__file__)"],
        cwd=REPOSITORY,
        env=dict(variables),
        capture_output=True,
        text=True,
        check=True,
    )
    location = Path(completed.stdout.strip()).resolve()
    environment = python.parent.parent.resolve()
    if not location.is_relative_to(environment):
        raise RuntimeError(
            f"the established Python imports mms_client from {location}, outside its "
            f"virtualenv {environment}"
        )


def _process_details(times: Mapping[str, ProcessTimes], ours: str, theirs: str) -> dict[str, float]:
    """Each client's process against ``python -c pass``, timed as the row's figure is: until
    the process said its call was done where it was asked to (the first call), the whole
    process otherwise (imports); and each one's CPU seconds."""
    python = times["python"].done.median
    return {
        "python_pass_median_s": python,
        "ours_to_python_ratio": times[ours].done.median / python,
        "established_to_python_ratio": times[theirs].done.median / python,
        "ours_cpu_median_s": times[ours].cpu.median,
        "established_cpu_median_s": times[theirs].cpu.median,
    }


def _imports(python: Path, settings: Settings, variables: Mapping[str, str]) -> Iterator[Result]:
    commands: dict[str, list[str]] = {"python": startup.PYTHON}
    for module in IMPORTED:
        commands[f"ours {module}"] = [sys.executable, "-c", f"import {module}"]
        commands[f"established {module}"] = [str(python), "-c", f"import {module}"]
    times = time_processes(commands, settings, env=variables, cwd=str(REPOSITORY))
    for module in IMPORTED:
        ours, theirs = f"ours {module}", f"established {module}"
        yield Result(
            case=CASE,
            params={**RELEASE, "job": "import", "module": module},
            unit="s",
            ours=times[ours].wall,
            floor=times[theirs].wall,
            ours_label=f'python -c "import {module}" (whole process)',
            floor_label=f'{LABEL}: python -c "import {module}" in its virtualenv (whole process)',
            measure=WHOLE_PROCESS,
            details=_process_details(times, ours, theirs),
        )


def _trusting_simulator(variables: Mapping[str, str], ca: Path) -> dict[str, str]:
    """``variables`` with the simulator's CA ``ca`` trusted by ``requests``, the established
    client's HTTP library, which takes it from its variable (ours is given it), and no proxy
    for the simulator."""
    return {**variables, "REQUESTS_CA_BUNDLE": str(ca), "NO_PROXY": "127.0.0.1,localhost"}


def _first_call(
    python: Path, settings: Settings, manifest: Path, variables: Mapping[str, str]
) -> Iterator[Result]:
    commands = {
        "ours": [sys.executable, "-m", "benchmarks.first_call", "ours", str(manifest)],
        "established": [
            str(python),
            "-m",
            "benchmarks.established_driver",
            "first_call",
            str(manifest),
        ],
        "python": startup.PYTHON,
    }
    calls = ("ours", "established")
    times = time_processes(
        commands,
        settings,
        env=variables,
        cwd=str(REPOSITORY),
        done_marker=DONE_MARKER,
        saying_done=calls,
    )
    yield Result(
        case=CASE,
        params={**RELEASE, "job": "first_call"},
        unit="s",
        ours=times["ours"].done,
        floor=times["established"].done,
        ours_label="fresh process: import, Certificate, MmsClient, one put_offer to the "
        "simulator (benchmarks.first_call ours), until it returned",
        floor_label=f"{LABEL}: fresh process: import, Certificate, MmsClient, the same "
        "put_offer to the same simulator, until it returned",
        measure="wall-clock time from the start of the process to the return of its call",
        details={
            **_process_details(times, "ours", "established"),
            **whole_process_details(times, calls),
        },
    )


def _round_trips(
    driver: _Driver, settings: Settings, manifest: Path, connection: Connection
) -> Iterator[Result]:
    """One put_offer after another to the simulator, each client in its own process, taking
    turns sample by sample: ours with a fresh connection per request (its default) and with
    connection reuse, theirs as it connects by default (a ``requests`` session, which keeps
    its connection). Each side puts its offer for a day of its own, so that each put
    replaces that side's previous offer and neither meets the other's. ``connection`` is
    the one the ``manifest`` file describes, which the driver reads for itself."""
    driver.request(
        None,
        job="round_trip",
        manifest=str(manifest),
        day=THEIR_ROUND_TRIP_DAY.isoformat(),
        quick=settings.quick,
    )

    def theirs() -> float:
        seconds: float = driver.request(None, job="sample")["seconds"]
        return seconds

    for keep_alive in (False, True):
        with connection.client(keep_alive=keep_alive) as client:
            ours = sampler(our_put(client, OUR_ROUND_TRIP_DAY), settings)
            ours_stats, their_stats = alternate(ours, theirs, settings)
        yield Result(
            case=CASE,
            params={
                **RELEASE,
                "job": "round_trip",
                "connection": "reuse" if keep_alive else "fresh",
            },
            unit="s",
            ours=ours_stats,
            floor=their_stats,
            ours_label="MmsClient.put_offer to the simulator, "
            + (
                "connection reuse (keep_alive=True)"
                if keep_alive
                else "a fresh connection per request (the default)"
            ),
            floor_label=f"{LABEL}: put_offer of the same offer to the same simulator, its "
            "requests session keeping the connection (its default)",
            measure="wall-clock time per call, each client in its own process, taking turns",
        )


class _Driver(LineProcess):
    """The established client's measuring process (:mod:`benchmarks.established_driver`),
    which takes as long as its measurements take."""

    def __init__(self, python: Path, variables: Mapping[str, str]) -> None:
        super().__init__(
            [str(python), "-m", "benchmarks.established_driver", "jobs"],
            variables,
            what="the established client's driver",
            ready_timeout=None,
            stop_timeout=30,
        )
        self.versions: dict[str, str] = self.ready["versions"]

    def measure(self, **request: Any) -> tuple[Stats, Stats, list[str]]:
        """The established client's figure, the floor's in its process, and its notes."""
        answer = self.request(None, **request)
        return Stats(**answer["established"]), Stats(**answer["floor"]), answer["notes"]


def _reply(size: int, folder: Path) -> tuple[Path, str]:
    """The simulator's answer to a submit of ``size`` offers, as :func:`parse_judge` reads it,
    saved for the driver: its file and its Content-Type."""
    from mms_client.wire.mime import find_header

    reply = document_cases.submit_reply(documents.submit_response(size))
    path = folder / f"established-reply-{size}.xml"
    path.write_bytes(reply.body)
    content_type = find_header(reply.headers.items(), "Content-Type")
    assert content_type is not None
    return path, content_type


def _side_by_side(
    job: str,
    size: int,
    ours: Result,
    established: tuple[Stats, Stats, list[str]],
    floor_label: str,
    notes: list[str],
) -> Result:
    theirs, their_floor, their_notes = established
    assert ours.floor is not None and ours.ratio is not None
    return Result(
        case=CASE,
        params={**RELEASE, "job": job, "n": size},
        unit="s",
        ours=ours.ours,
        floor=theirs,
        ours_label=ours.ours_label,
        floor_label=floor_label,
        measure=CPU_PER_CALL,
        notes=[
            *notes,
            *(f"ours: {note}" for note in ours.notes),
            *(f"established: {note}" for note in their_notes),
        ],
        details={
            "established_floor_median_s": their_floor.median,
            "established_to_floor_ratio": theirs.median / their_floor.median,
            "ours_floor_median_s": ours.floor.median,
            "ours_to_floor_ratio": ours.ratio,
        },
    )


def _documents(driver: _Driver, settings: Settings, environment: Environment) -> Iterator[Result]:
    notes = [
        f"the established side ran on {_listed(driver.versions)}, ours on "
        f"{_listed(library_versions(_OUR_LIBRARIES))}; each floor on its own side's"
    ]
    # Our cases' rows, one N at a time (each generator measures an N when asked for its
    # row), so that the two clients take turns and our set-up is done once.
    our_serialize_sign = document_cases.serialize_sign(settings)
    our_parse = document_cases.parse_judge(settings, breakdown=False)
    for size in settings.sizes:
        theirs = driver.measure(job="serialize_sign", n=size, quick=settings.quick)
        yield _side_by_side(
            "serialize_sign",
            size,
            next(our_serialize_sign),
            theirs,
            f"{LABEL}: Serializer.serialize_multi + CryptoWrapper.sign of the same offers "
            "from its OfferData models, as its put_offers makes the payload and "
            "signature (zeep frames the MTOM message later, while sending)",
            notes,
        )
        reply, content_type = _reply(size, environment.folder)
        theirs = driver.measure(
            job="parse",
            n=size,
            quick=settings.quick,
            reply=str(reply),
            content_type=content_type,
        )
        yield _side_by_side(
            "parse",
            size,
            next(our_parse),
            theirs,
            f"{LABEL}: what its put_offers does with the same reply: zeep reads the SOAP "
            "envelope, MmsResponse, checks, Serializer.deserialize_multi (parse, XSD "
            "validation, response objects), checks",
            notes,
        )
        notes = []


def _listed(versions: Mapping[str, str]) -> str:
    return ", ".join(f"{name} {version}" for name, version in versions.items())
