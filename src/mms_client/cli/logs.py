"""How the ``mms`` commands show log records: rich's layout on a terminal, plain whole lines
anywhere else.

rich's log layout pads every line to the console's width and breaks a longer message into a
column of its own; to rich a console that is no terminal (a log file, a pipe) is 80 columns
wide, so there a message, a URL in it above all, would be cut into pieces.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


def log_handler(console: Console) -> logging.Handler:
    """The handler that shows log records on ``console``."""
    if console.is_terminal:
        from rich.logging import RichHandler

        return RichHandler(console=console, show_path=False)
    return _LogLines(console)


class _LogLines(logging.Handler):
    """Log records as plain lines, one per record. They go through the console all the same,
    which knows what to do once the reader has gone."""

    def __init__(self, console: Console) -> None:
        super().__init__()
        self.console = console
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.console.out(self.format(record), highlight=False)
        except Exception:  # as every handler does: logging never ends the program
            self.handleError(record)
