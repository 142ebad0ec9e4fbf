"""``mms ops`` and ``mms call``: every MMS operation from the command line.

Both are driven by the operation registry: ``mms ops`` lists it, ``mms call NAME`` sends any of
its operations (by registry name such as ``MarketQuery_OfferQuery``, or by client method name
such as ``query_offers``) with a payload from a file, or the documented example of
:mod:`mms_client.examples`, and prints the answer as tables or JSON.
"""

from __future__ import annotations

import codecs
import datetime as dt
import functools
import inspect
import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TextIO

import click

from mms_client.cli.connect import CA_ADVICE, Connection, connection_options
from mms_client.plugins import Plugin

if TYPE_CHECKING:
    import logging

    from rich.console import Console

    from mms_client.operations import Operation
    from mms_client.wire.soap import Attachment


@click.command()
@click.option("--interface", type=click.Choice(["MI", "OMI"]), help="Only this interface.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def ops(interface: str | None, as_json: bool) -> None:
    """List the MMS operations: name, interface, kind, whether it only reads (so that the
    client sends it again after a failure that may have reached the MMS; a report request
    makes a report, unlike the report list and downloads), client method, who may call it and
    how sure the response shape is."""
    from mms_client.operations import OPERATIONS

    chosen = [o for o in OPERATIONS if interface in (None, o.interface.value)]
    if as_json:
        from mms_client.cli.render import json_text

        click.echo(
            json_text(
                [
                    {
                        "name": o.name,
                        "interface": o.interface.value,
                        "kind": o.kind,
                        "method": o.method,
                        "list_method": o.list_method,
                        "audiences": sorted(a.value for a in o.audiences),
                        "audience_source": o.audience_source,
                        "response_source": o.response.source,
                        "read_only": o.read_only,
                    }
                    for o in chosen
                ],
                sys.stdout.encoding,
            )
        )
        return
    from mms_client.cli.console import output
    from mms_client.cli.tables import print_table

    header = (
        "operation",
        "if",
        "kind",
        "reads only",
        "methods",
        "who may call it (source)",
        "response shape: source",
    )
    rows = [
        (
            o.name,
            o.interface.value,
            o.kind,
            "yes" if o.read_only else "no",
            ", ".join(method for method in (o.method, o.list_method) if method),
            f"{', '.join(sorted(a.value for a in o.audiences))} ({o.audience_source})",
            o.response.source,
        )
        for o in chosen
    ]
    print_table(output(), f"MMS operations ({len(chosen)})", header, rows, wrap=header[4:])


class _JapanDate(click.ParamType):  # type: ignore[type-arg]  # not generic in older click
    """A date read as the library reads the envelope's ``date=`` (``mms_client.jst.JstDate``):
    an ISO date, or a date and time that is midnight in Japan. A format of the command's own
    would take what the library refuses and refuse what it takes; and a date the rule refuses
    is a usage error naming the option, not a schema error naming the envelope's Date."""

    name = "date"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> dt.date:
        from pydantic import TypeAdapter, ValidationError

        from mms_client.jst import JstDate
        from mms_client.schema.binding import value_rule

        try:
            return TypeAdapter(JstDate).validate_python(value)
        except ValidationError as exc:
            [error] = exc.errors()
            rule = _NOT_A_DATE if error["type"] == "jst_date" else value_rule(error)
            self.fail(f"{value!r}: {rule}", param, ctx)


PAYLOAD_MAX_BYTES = 16 * 2**20
"""The most ``--payload`` reads. A payload is a document written by hand or by a program, of
at most some thousands of items, far below the simulator's 64 MiB bound on a whole request
(signed, base64-encoded and wrapped in SOAP); without a bound, ``--payload /dev/zero`` (or a
file named by mistake) would be read until memory ran out."""

ATTACHMENT_MAX_BYTES = 64 * 2**20
"""The most ``--attach`` reads of one file: the simulator's bound on a whole request, which
the file, signed and wrapped, would exceed; the MMS's files (settlement results, baseline
loads, DR patterns) are far smaller. Without a bound, ``--attach /dev/zero`` (or a file named
by mistake) would be read until memory ran out."""

_NOT_A_DATE = "should be an ISO date such as 2024-04-01, or a date and time at midnight in Japan"
"""What ``--date`` may be, in the command line's words: the library's (``mms_client.jst``)
speak of Python's types, which a shell user does not give."""


@click.command()
@click.argument("name")
@click.option("--interface", type=click.Choice(["MI", "OMI"]), help="For names on both.")
@click.option(
    "--payload",
    "payload_file",
    type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=Path),
    help="The request item(s): JSON (object or list; XML or Python names) or XML (one item "
    "element); '-' reads standard input.",
)
@click.option("--example", is_flag=True, help="Send the documented example request.")
@click.option(
    "--date",
    type=_JapanDate(),
    help="Envelope Date: an ISO date (2024-04-01), or a date and time that is midnight in Japan.",
    show_default="the example's, else today in Japan",
)
@click.option(
    "--days",
    type=click.IntRange(1, 31),
    help="Envelope NumOfDays (the operation's schema may allow fewer: 7 for queries).",
    show_default="the example's, else 1",
)
@click.option("--market-type", type=click.Choice(["DAM", "DCM"]), help="Envelope MarketType.")
@click.option(
    "-e",
    "--envelope",
    "extra",
    multiple=True,
    metavar="NAME=VALUE",
    help="Any other envelope attribute, by Python or XML name (repeatable).",
)
@click.option(
    "--attach",
    multiple=True,
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A file to send with the request (repeatable).",
)
@click.option(
    "--out",
    # kept as given: a Path would make an empty value (an unset $DIR) the current folder
    type=click.Path(),
    help="Save the files of the answer: the report file (a regular file there is replaced), "
    "or a folder for attachments.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@connection_options
def call(
    connection: Connection,
    name: str,
    interface: str | None,
    payload_file: Path | None,
    example: bool,
    date: dt.date | None,
    days: int | None,
    market_type: str | None,
    extra: tuple[str, ...],
    attach: tuple[Path, ...],
    out: str | None,
    as_json: bool,
) -> None:
    """Send the MMS operation NAME (a name `mms ops` lists, or a client method name such as
    query_offers) and print the answer.

    Exit status: 0 done, 1 the MMS refused (or answered with what the request cannot use),
    2 the command or its input is wrong (nothing was sent), 3 the MMS could not be reached
    or its answer read, 4 the output could not be written, 130 interrupted, 141 the reader
    of the output went away, 143 terminated.

    Examples, with `mms sim serve` running:

    \b
      mms call query_awards --example --as BSP
      mms call create_report --example --json
      echo '{"MarketType": "DAM"}' | mms call query_offers --payload - --date 2024-04-01 --json
    """
    from rich.console import Console

    from mms_client.calls import DATASET_DOWNLOADS, dataset_rows
    from mms_client.cli import render
    from mms_client.cli.console import output
    from mms_client.cli.status import UNWRITTEN, Failure, failure
    from mms_client.errors import (
        MAY_HAVE_PROCESSED,
        AudienceError,
        DestinationError,
        MMSValidationError,
        PayloadError,
    )
    from mms_client.wire.soap import Attachment

    if out == "-":  # as --payload - reads standard input, this would be taken to write it
        raise click.BadParameter(
            "'-' is not standard output here, which carries the answer as tables or JSON; "
            "name the file or folder to save to",
            param_hint="--out",
        )
    if out == "":
        raise click.BadParameter("is empty; name the file or folder to save to", param_hint="--out")
    operation = _operation(name, interface)
    dataset = DATASET_DOWNLOADS.get(name)
    envelope = _envelope(operation, name, date, days, market_type, extra)
    if example == (payload_file is not None):
        raise click.UsageError("give exactly one of --payload FILE and --example")
    attachments = [
        Attachment(path.name, _read(path, "--attach", ATTACHMENT_MAX_BYTES, "an attached file"))
        for path in attach
    ]
    if example:
        payload, envelope, sample_files, connection = _example(
            operation, operation.takes_one(name), envelope, connection
        )
        # a file given with --attach takes the place of the example's file of that name, as
        # the options take the place of the example's envelope attributes
        given = {attachment.name for attachment in attachments}
        attachments = [*(f for f in sample_files if f.name not in given), *attachments]
    else:
        assert payload_file is not None
        payload = _payload(operation, payload_file)
        try:
            operation.items_to_send(payload, name)
        except PayloadError as error:
            raise click.BadParameter(str(error), param_hint="--payload") from None
    if operation.needs_market_type and envelope.get("market_type") is None:
        raise click.UsageError(
            f"{name} needs --market-type (or -e MarketType=...): the MMS refuses "
            f"{operation.element} without it"
        )
    errors = Console(stderr=True)
    _log_to(errors)
    answer = _Answer()
    try:
        with connection.client(plugins=[answer]) as client:
            response = client.call(operation, payload, attachments=attachments, to=out, **envelope)
            if dataset is not None:  # what the method of that name answers with: the rows
                response = replace(response, items=dataset_rows(dataset)(response))
    except MMSValidationError as refusal:
        # of a submit accepted in part, the items show which were stored
        with _answer_shown(operation):
            if as_json:
                click.echo(render.refusal_as_json(operation, refusal, sys.stdout.encoding))
            else:
                render.show_refusal(errors, refusal)
        # the messages are shown apart; what in the reply shows the refusal ends the account
        raise failure(refusal, f"{refusal.operation}: {refusal.summary}") from None
    except DestinationError as error:
        if not answer.arrived:
            raise click.BadParameter(f"{error.path} {error.problem}", param_hint="--out") from None
        # the names of the files were known only from the answer
        raise Failure(
            f"the MMS answered, but --out cannot take its files: {error.path} {error.problem}",
            UNWRITTEN,
        ) from None
    except AudienceError as error:
        if connection.cert is not None:
            raise
        # a simulator's user of another type is one option away, not another certificate
        users = " or ".join(f"--as {client_type}" for client_type in error.allowed)
        raise failure(error, error.describe(f"Pass {users}.")) from None
    except (KeyboardInterrupt, SystemExit):  # Ctrl+C, or SIGTERM (see the mms command)
        # the library says this of a submit that timed out; the user who stopped one must
        # know it as well, rather than send it again believing it never arrived. Stopped
        # while waiting for the answer, the library warns of it itself (shown, as the
        # transport's warnings are), and only once the request began to go out: stopped
        # while connecting, the submit went nowhere
        if answer.arrived and not operation.read_only:
            click.echo(
                f"Interrupted after sending {operation.name}; {MAY_HAVE_PROCESSED}", err=True
            )
        raise
    with _answer_shown(operation):
        if as_json:
            click.echo(render.as_json(response, sys.stdout.encoding))
        else:
            render.show(output(), response)


@contextmanager
def _answer_shown(operation: Operation) -> Iterator[None]:
    """Writing the answer to ``operation``: when it cannot be written (a full disk), the
    error says, of a request that is not read-only, that the MMS processed it all the same,
    since a user who saw only the failure to write would send it again, and have it
    processed twice."""
    from mms_client.cli.status import unwritable
    from mms_client.errors import NO_ROOM

    try:
        yield
    except OSError as exc:
        if operation.read_only or exc.errno not in NO_ROOM:
            raise
        processed = f"the MMS processed {operation.name}: query before sending it again"
        raise unwritable(exc, processed) from None


class _Answer(Plugin):
    """Notes that the MMS answered: it has seen the request, and may have processed it."""

    def __init__(self) -> None:
        self.arrived = False

    def audit_response(self, mms_response: bytes) -> None:
        self.arrived = True

    def audit_response_file(self, mms_response: BinaryIO) -> None:
        self.arrived = True  # without reading the download, as Plugin's own would


def _in_command_words(record: logging.LogRecord) -> bool:
    """Shows the transport errors a record speaks of (a failed attempt) as the command's
    error message does, naming --ca where the library would name its ``verify=``."""
    from mms_client.errors import TransportError

    if isinstance(record.args, tuple):
        record.args = tuple(
            arg.describe(CA_ADVICE) if isinstance(arg, TransportError) else arg
            for arg in record.args
        )
    return True


def _log_to(console: Console) -> None:
    """Retries and failovers are worth seeing, and so is a certificate about to expire or not
    valid yet; the MMS's messages are shown with the answer, so they are not logged again (the
    ``mms_client`` logger keeps only the library's ``NullHandler``). The handler goes with the
    command, so that commands run one after another in one process (``main`` called from a
    program) each log once.

    A certificate not valid yet is a :class:`~mms_client.security.certs.CertificateWarning`
    of :mod:`warnings`, which Python would print with the file, line and source line of the
    code that loaded it: for the command's user, it is a warning of the
    ``mms_client.security`` log like the others, while the command runs."""
    import logging
    import warnings

    from mms_client.cli.logs import log_handler

    handler = log_handler(console)
    handler.addFilter(_in_command_words)
    context = click.get_current_context()
    for name in ("mms_client.transport", "mms_client.security"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)
        context.call_on_close(functools.partial(logger.removeHandler, handler))
    context.with_resource(warnings.catch_warnings())  # puts showwarning back on close
    warnings.showwarning = functools.partial(_show_warning, warnings.showwarning)


def _show_warning(
    shown: Callable[..., None],
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """:func:`warnings.showwarning` while a command runs: a certificate's warning goes to the
    command's log; any other is ``shown`` as Python shows it."""
    import logging

    from mms_client.security.certs import CertificateWarning

    if issubclass(category, CertificateWarning):
        logging.getLogger("mms_client.security").warning("%s", message)
    else:
        shown(message, category, filename, lineno, file, line)


def _operation(name: str, interface: str | None) -> Operation:
    """The operation NAME stands for: a registry name, or the name of any method of the client
    (``query_offers``, ``put_offers``, the established client's ``get_settlement_results``...)."""
    from mms_client.calls import OperationMethod
    from mms_client.client import MmsClient
    from mms_client.errors import ConfigurationError
    from mms_client.operations import get_operation

    # the descriptor itself: read from the class, a method is the function it makes
    method = inspect.getattr_static(MmsClient, name, None)
    if not isinstance(method, OperationMethod):
        try:
            return get_operation(name, interface, choose="--interface")
        except ConfigurationError as exc:
            raise click.UsageError(f"{exc} (see `mms ops`)") from None
    operation: Operation = method.operation
    if interface not in (None, operation.interface.value):
        raise click.BadParameter(
            f"{name} is on the {operation.interface.value} interface, not {interface} "
            "(see `mms ops`)",
            param_hint="--interface",
        )
    return operation


def _envelope(
    operation: Operation,
    name: str,
    date: dt.date | None,
    days: int | None,
    market_type: str | None,
    extra: tuple[str, ...],
) -> dict[str, Any]:
    """The envelope attributes the options give, by Python name, so that an attribute given
    twice (``-e Date=...`` and ``--date``) is caught rather than sent twice or dropped; an
    option for an attribute the envelope of ``operation`` (called ``name``) has not is a
    usage error naming the option, as the schema's error would name the attribute only."""
    from mms_client.errors import PayloadError
    from mms_client.exchange import check_request_attribute
    from mms_client.schema.binding import AttributePlan, xml_plan

    by_key = xml_plan(operation.envelope_model).by_key
    envelope: dict[str, Any] = {}
    for item in extra:
        key, equals, value = item.partition("=")
        if not equals or not key:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--envelope")
        binding = by_key.get(key)
        if not isinstance(binding, AttributePlan):
            raise click.BadParameter(_no_attribute(operation, key), param_hint="--envelope")
        try:
            check_request_attribute(operation, binding, value)
        except PayloadError as error:
            raise click.BadParameter(error.summary, param_hint="--envelope") from None
        if binding.field_name in envelope:
            raise click.UsageError(f"--envelope gives {binding.xml_name} twice")
        envelope[binding.field_name] = value
    options = {
        ("date", "Date"): date,
        ("days", "NumOfDays"): days,
        ("market_type", "MarketType"): market_type,
    }
    for (attribute, xml_name), chosen in options.items():
        if chosen is None:
            continue
        option = "--" + attribute.replace("_", "-")
        if not isinstance(by_key.get(attribute), AttributePlan):
            raise click.BadParameter(
                f"{name} does not take it: {_no_attribute(operation, xml_name)}",
                param_hint=option,
            )
        if attribute in envelope:
            raise click.UsageError(f"{option} and --envelope both give {xml_name}")
        envelope[attribute] = chosen
    return envelope


def _no_attribute(operation: Operation, key: str) -> str:
    """That the envelope of ``operation`` has no attribute ``key``, and the attributes a
    request gives it, for ``-e`` and the options that name one alike: the user sees what to
    give instead."""
    from mms_client.exchange import request_attributes

    model = operation.envelope_model.__name__
    return f"{model} has no attribute {key!r} (a request gives {request_attributes(operation)})"


def _payload(operation: Operation, path: Path) -> Any:
    """The request item(s) in ``path``: JSON as dicts, XML as the operation's item model."""
    from mms_client.errors import PayloadError
    from mms_client.schema import codec

    if str(path) == "-" and sys.stdin is None:
        raise click.BadParameter(
            "'-' reads standard input, which is closed; name the payload file",
            param_hint="--payload",
        )
    data = _read(path, "--payload", PAYLOAD_MAX_BYTES, "a payload")
    encoding = json.detect_encoding(data)
    opening = _first_character(data, encoding)
    if not opening:  # a redirection that wrote nothing: not a JSON error at column 1
        raise click.BadParameter(
            "is empty; it should hold the request's item(s) as JSON or XML",
            param_hint="--payload",
        )
    if opening == "<":
        _check_declared_encoding(data, encoding, path)
        try:
            return codec.read(data, operation.payload_model, tag=operation.element)
        except PayloadError as exc:
            raise click.BadParameter(str(exc), param_hint="--payload") from None
    try:
        # a number as the decimal it spells: as a float, 100.0000000000000001 would be 100 and
        # pass where the schema refuses it, and 100.50 would go out as 100.5
        return json.loads(data, object_pairs_hook=_json_object, parse_float=Decimal)
    except UnicodeDecodeError as exc:  # Japanese names saved by Windows software
        raise click.BadParameter(
            f"{_source(path)} is not UTF-8 text, as JSON is ({_not_utf8(exc)}; a file saved "
            "as Shift_JIS must be saved as UTF-8)",
            param_hint="--payload",
        ) from None
    except ValueError as exc:
        raise click.BadParameter(f"neither XML nor JSON: {exc}", param_hint="--payload") from None
    except RecursionError:  # Python's parser recurses into each array and object
        raise click.BadParameter(
            "is JSON nested too deeply to be read (no payload item nests more than a few levels)",
            param_hint="--payload",
        ) from None


_ENCODING_DECLARED = re.compile(rb"\s*<\?xml\s[^>]*?\bencoding\s*=")
"""An XML declaration naming the document's encoding, which the parser then reads it in."""


def _check_declared_encoding(data: bytes, encoding: str, path: Path) -> None:
    """Refuse the XML payload ``data`` that is neither UTF-8 nor declares the encoding it is in
    (Shift_JIS saved by Windows software without ``<?xml ... encoding="Shift_JIS"?>``),
    saying so and what to do: the parser would name only a column and "Invalid bytes in
    character encoding". A UTF-16 document is told by its byte order mark (``encoding``,
    as JSON's parser finds it)."""
    if encoding not in ("utf-8", "utf-8-sig"):
        return
    if _ENCODING_DECLARED.match(data.removeprefix(codecs.BOM_UTF8)):
        return
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise click.BadParameter(
            f"{_source(path)} is not UTF-8 text, and its XML declaration names no other "
            f"encoding ({_not_utf8(exc)}; declare the one it is saved in, as "
            '<?xml version="1.0" encoding="Shift_JIS"?>, or save it as UTF-8)',
            param_hint="--payload",
        ) from None


def _not_utf8(error: UnicodeDecodeError) -> str:
    """Where ``error`` found a payload not to be UTF-8, for a user to look there."""
    return f"byte 0x{error.object[error.start]:02x} at offset {error.start} is not UTF-8"


def _source(path: Path) -> str:
    """``path`` as an error names it: ``-`` is standard input."""
    return "standard input" if str(path) == "-" else str(path)


def _first_character(data: bytes, encoding: str) -> str:
    """The first character of the payload ``data`` that is not white space (none: empty), which
    tells XML from JSON. Windows software saves text as UTF-8 with a byte order mark (Notepad)
    or as UTF-16 ("Unicode", and Windows PowerShell's ``>``), which both parsers read; the
    character is read in ``encoding``, the one JSON's parser finds, where a UTF-16 document's
    ``<`` is not the byte ``<``. Bytes that are not of that encoding are left to the parser to
    name. Only as much is decoded as it takes to find it: a payload may be 16 MiB."""
    decoder = codecs.getincrementaldecoder(encoding)("replace")
    for start in range(0, len(data), 4096):
        if text := decoder.decode(data[start : start + 4096]).lstrip():
            return text[0]
    return decoder.decode(b"", final=True).lstrip()[:1]


def _read(path: Path, option: str, limit: int, what: str) -> bytes:
    """The bytes of ``path`` (``-``: standard input), given with ``option``: one that cannot
    be read, or holds more than ``limit`` bytes (``what`` may be no more), is a usage error
    naming the option, not a traceback or a command that reads until memory runs out."""
    standard_input = str(path) == "-"
    try:
        if standard_input:
            data = sys.stdin.buffer.read(limit + 1)
        else:
            with path.open("rb") as file:
                data = file.read(limit + 1)
    except OSError as exc:
        raise click.BadParameter(f"cannot read {path}: {exc.strerror}", param_hint=option) from None
    if len(data) > limit:
        raise click.BadParameter(
            f"{_source(path)} holds more than {limit // 2**20} MiB, the most {what} may be",
            param_hint=option,
        )
    return data


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object of the payload, refusing a name it holds twice: Python's parser keeps
    the last value unseen, where one of the two given is most likely a mistake. (A field
    given by its XML and its Python name is refused by the schema, as the library does.)"""
    fields = dict(pairs)
    if len(fields) < len(pairs):
        names = [name for name, _ in pairs]
        twice = next(name for index, name in enumerate(names) if name in names[:index])
        raise click.BadParameter(f"gives {twice} twice in one JSON object", param_hint="--payload")
    return fields


def _example(
    operation: Operation, one_item: bool, envelope: dict[str, Any], connection: Connection
) -> tuple[Any, dict[str, Any], tuple[Attachment, ...], Connection]:
    """The documented example of ``operation``: its payload (its first item alone when
    ``one_item``), its envelope (options given on the command line win), its files, and,
    unless the connection options say otherwise, the seeded user it is for."""
    from mms_client.examples import example_request

    chosen = example_request(operation.name, operation.interface)
    if connection.cert is None and connection.acting_as is None:
        connection = replace(
            connection,
            acting_as=chosen.client_type.value,
            # an empty name given is kept, to be refused as the simulator's user it names
            participant=chosen.participant
            if connection.participant is None
            else connection.participant,
        )
    payload = chosen.items[0] if one_item else chosen.payload
    return payload, {**chosen.envelope, **envelope}, chosen.attachments, connection
