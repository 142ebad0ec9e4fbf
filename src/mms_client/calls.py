"""How a typed client method becomes a registry call, and how its result comes back.

Every per-operation method (``put_offer``, ``query_awards``, ``download_report``...) is a thin
declaration (see :mod:`mms_client.methods`): a template decorated with :func:`calls` that maps
the method's arguments onto a :class:`Call` (payload, envelope attributes, files to attach,
where to save what comes back) and names the function that takes the method's result from the
:class:`~mms_client.exchange.Response`. The same declaration serves both clients: it is a sync
method on :class:`~mms_client.client.MmsClient` and a coroutine method on
:class:`~mms_client.client.AsyncMmsClient`, and type checkers see it that way.
"""

from __future__ import annotations

import functools
import inspect
import os
import types
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from mms_client.endpoints import Interface
from mms_client.errors import FieldError, MalformedResponseError, MMSClientError, PayloadError
from mms_client.exchange import Response, attachment_list
from mms_client.files import DownloadedFile
from mms_client.operations import Operation, get_operation
from mms_client.wire.soap import Attachment, check_attachment_count

if TYPE_CHECKING:
    from mms_client.client import AsyncMmsClient, MmsClient
    from mms_client.schema.generated.mi_report import ReportCreateRequest

P = ParamSpec("P")
R = TypeVar("R")

FileSource = Attachment | str | os.PathLike[str]
"""A file to send with a request: an :class:`~mms_client.wire.soap.Attachment`, or the path
of a file, sent under its own name."""


@dataclass(frozen=True)
class Call(Generic[R]):
    """What one client method asks for: the payload, the envelope attributes, the files to
    attach (read when the request is prepared, see :func:`attachments_of`), where to save the
    files of the reply (``to``), and how the method's result is taken from the
    :class:`~mms_client.exchange.Response`."""

    payload: Any
    envelope: Mapping[str, Any]
    result: Callable[[Response], R]
    files: Sequence[FileSource] = ()
    to: str | os.PathLike[str] | None = None


class OperationMethod(Generic[P, R]):
    """A client method bound to one registry operation (see :func:`calls`).

    On the class it is a plain function taking the client first, and on a client a bound
    method, as any method is: ``inspect.signature``, ``help(MmsClient)`` and IDEs show its
    parameters and documentation either way.
    """

    def __init__(
        self, operation: Operation, template: Callable[Concatenate[Any, P], Call[R]]
    ) -> None:
        self.operation = operation
        self.template = template
        self.__doc__ = template.__doc__

        @functools.wraps(template)
        def method(client: Any, *args: Any, **kwargs: Any) -> Any:
            return client._invoke(operation, template.__name__, template(client, *args, **kwargs))

        # the template's parameters, without its ``Call`` return type: what the method
        # returns depends on the client (a result, or a coroutine giving one)
        method.__signature__ = inspect.signature(template).replace(  # type: ignore[attr-defined]
            return_annotation=inspect.Signature.empty
        )
        self.function: Callable[..., Any] = method

    @overload
    def __get__(
        self, instance: None, owner: type[MmsClient]
    ) -> Callable[Concatenate[MmsClient, P], R]: ...
    @overload
    def __get__(
        self, instance: None, owner: type[AsyncMmsClient]
    ) -> Callable[Concatenate[AsyncMmsClient, P], Coroutine[Any, Any, R]]: ...
    @overload
    def __get__(self, instance: None, owner: type[Any]) -> Callable[..., Any]: ...
    @overload
    def __get__(self, instance: MmsClient, owner: type[Any]) -> Callable[P, R]: ...
    @overload
    def __get__(
        self, instance: AsyncMmsClient, owner: type[Any]
    ) -> Callable[P, Coroutine[Any, Any, R]]: ...
    def __get__(self, instance: Any, owner: type[Any]) -> Any:
        return self.function if instance is None else types.MethodType(self.function, instance)


def calls(
    name: str, interface: str | None = None
) -> Callable[[Callable[Concatenate[Any, P], Call[R]]], OperationMethod[P, R]]:
    """Declare a client method for the registry operation ``name`` (on ``interface``, for the
    names MI and OMI share); the decorated template maps the method's arguments onto a
    :class:`Call`."""
    operation = get_operation(name, interface)  # a typo fails at import, not at call time

    def declare(template: Callable[Concatenate[Any, P], Call[R]]) -> OperationMethod[P, R]:
        return OperationMethod(operation, template)

    return declare


def attachments_of(files: Sequence[FileSource], interface: Interface) -> tuple[Attachment, ...]:
    """The attachments for ``files`` of a request of ``interface``. Paths are read now, so
    that a missing file fails before anything is sent, and only once their number is known to
    fit in a request: a list too long would otherwise be read whole before being refused."""
    given = attachment_list(
        files,
        "files",
        Attachment | str | os.PathLike,
        "a path (str or os.PathLike) or an Attachment",
    )
    check_attachment_count(interface, len(given))
    return tuple(_attachment(file, index) for index, file in enumerate(given))


def _attachment(file: Attachment | str | os.PathLike[str], index: int) -> Attachment:
    """``file``, item ``index`` of ``files=``, as an attachment: a path is read, and one that
    cannot be is refused as what was given wrong, naming it (nothing is sent)."""
    if isinstance(file, Attachment):
        return file
    try:
        return Attachment.from_file(file)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
    raise PayloadError(
        f"files[{index}] cannot be read: {reason}",
        [FieldError(f"files[{index}]", os.fspath(file), f"a file that can be read ({reason})")],
    )


# --- results -------------------------------------------------------------------------------


def _unexpected(response: Response, what: str) -> MalformedResponseError:
    """The error for an answer that does not hold what the operation answers with. The client
    gives it the attempt that brought the answer, and for a submit, cancel or approval says
    that the MMS may have processed it all the same (it answered)."""
    operation = response.operation
    return MalformedResponseError(f"{operation.name}: {what}", operation=operation.name)


def one_item(response: Response) -> Any:
    """The one item a single-item request gets back."""
    if len(response.items) != 1:
        raise _unexpected(
            response,
            f"expected one {response.operation.element} in the reply, found {len(response.items)}",
        )
    return response.items[0]


def all_items(response: Response) -> list[Any]:
    """Every item of the answer, in order; an empty list when there is none."""
    return list(response.items)


def results(response: Response) -> Any:
    """The results element a query answers with (``AwardResultsQueryResponse``...), or an
    empty one when the MMS sent none because nothing matched."""
    if len(response.items) > 1:
        raise _unexpected(
            response,
            f"expected at most one {response.operation.response.child} in the reply, "
            f"found {len(response.items)}",
        )
    if response.items:
        return response.items[0]
    return response.operation.response_model.model_validate({})


def attached_files(response: Response) -> list[DownloadedFile]:
    """The files the reply carries."""
    return list(response.files)


def report_file(response: Response) -> DownloadedFile:
    """The report file a report download answers with."""
    if len(response.files) != 1:
        raise _unexpected(
            response, f"expected one report file in the reply, found {len(response.files)}"
        )
    return response.files[0]


DATASET_DOWNLOADS = {"list_bsp_resources": "BSP_ResourceList"}
"""The established client's downloads of one report dataset each: method name -> dataset. Each
fetches a report by its transaction id (``ReportDownloadRequestTrnID``) and answers with the
dataset's typed rows (:func:`dataset_rows`); ``mms call`` shows those rows under the same
name."""


def dataset_rows(dataset: str) -> Callable[[Response], list[Any]]:
    """The result of a download of one report dataset: the typed rows of the report file,
    which must hold that dataset (a transaction id of another report is refused with an
    :class:`~mms_client.errors.MMSClientError`)."""

    def rows(response: Response) -> list[Any]:
        report = report_file(response)
        held = report.dataset()
        if held is not None and held != dataset:
            # sent again, the request gets the same answer, as after a refusal
            raise MMSClientError(
                response.operation.name,
                f"the report of that TransactionId holds the {held.value} dataset, not the "
                f"{dataset} dataset: the TransactionId is of another report",
            )
        return report.rows(dataset)

    return rows


@dataclass(frozen=True)
class CreatedReport:
    """The MMS's acknowledgement of a report request.

    ``transaction_id`` identifies the report: it shows up in the report list once the report
    is ready and downloads it (``download_report``). ``request`` is the request as the MMS
    echoed it, with its ``ValidationStatus`` and messages.
    """

    transaction_id: str
    request: ReportCreateRequest


def created_report(response: Response) -> CreatedReport:
    """The transaction id of a created report, from the reply's statistics."""
    statistics = response.statistics
    if statistics is None or not statistics.transaction_id:
        raise _unexpected(response, "the reply names no TransactionId for the new report")
    return CreatedReport(statistics.transaction_id, one_item(response))
