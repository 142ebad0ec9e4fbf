"""Tables of the ``mms`` commands, printed so that every value can be copied whole.

A rich table fits itself into the console's width, folding cells or cutting them short to do
so, and to rich a console that is no terminal (a file, a pipe) is 80 columns wide: an id, a
path or a file name folded in two, or cut short, cannot be copied. So a table is laid out by
rich only on a terminal wide enough for it with no word broken (longer values, free text
above all, wrapped between words); anywhere else it is printed as plain lines with aligned
columns, each line whole however long: a terminal wraps a line longer than itself without
cutting it, and a file or a pipe keeps it as it is.

Every value is printed as :func:`visible` shows it: a server's text may hold characters that
act on the terminal instead of showing (a line break that makes up a row of its own, an
escape sequence, a bidi override that reorders what follows), which would let a broken or
hostile MMS forge rows, rewrite the screen or hide text.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


_ACTING = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
"""The characters that act rather than show: the C0 and C1 controls and DEL (line breaks, tab,
backspace, BEL, ESC, CSI), the line and paragraph separators, and Unicode's bidi controls
(the marks, embeddings, overrides and isolates), which reorder the text around them."""


def _escape(acting: re.Match[str]) -> str:
    # Python's own escapes, the form an output encoding's missing characters take too
    return acting[0].encode("unicode_escape").decode("ascii")


def visible(value: str) -> str:
    """``value`` with the characters that would act on the terminal (:data:`_ACTING`) written
    as Python writes them in a string (``\\n``, ``\\x1b``, ``\\u202e``), everything else
    (Japanese, a full-width space) as it is: what a server sent is shown, and can do nothing
    but show."""
    # none of them is printable to Python, which passes most values (a name, a time, a
    # number) in a fraction of the time a search takes
    return value if value.isprintable() else _ACTING.sub(_escape, value)


def _json_escape(acting: re.Match[str]) -> str:
    # JSON's escaping has written every C0 control inside a string already: one left is the
    # whitespace between the document's values (its indentation's line breaks)
    character = acting[0]
    return character if character in "\t\n\r" else f"\\u{ord(character):04x}"


def visible_json(text: str) -> str:
    """The JSON document ``text`` with the characters that would act on the terminal
    (:data:`_ACTING`) inside its strings written as JSON escapes (``\\u001b``, ``\\u202e``),
    everything else as it is: a JSON parser reads exactly the values the server sent, and
    the terminal a script's output reaches shows them without acting on them."""
    return _ACTING.sub(_json_escape, text)


def print_table(
    console: Console,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    wrap: Collection[str] = (),
) -> None:
    """Print a table in which no value is broken inside a word: the values of the columns
    named in ``wrap`` (free text, lists written inline) may be wrapped between words, every
    other value (a name, a path, a code) is kept on one line. Every value is shown
    :func:`visible`, measured as it is shown."""
    from rich.measure import Measurement

    rows = [[visible(cell) for cell in row] for row in rows]

    if console.is_terminal:
        table = _laid_out(title, header, rows, wrap)
        # measured as if the console had room for anything: within its own width, rich
        # reports no minimum wider than that width
        unbounded = console.options.update_width(sys.maxsize)
        if Measurement.get(console, unbounded, table).minimum <= console.width:
            # not cropped, should rich still lay it out wider than the console
            console.print(table, crop=False)
            return
    print_columns(console, title, header, rows)


def _laid_out(
    title: str, header: Sequence[str], rows: Sequence[Sequence[str]], wrap: Collection[str]
) -> Table:
    """A rich table whose columns are at least as wide as their longest word (those in
    ``wrap``) or their longest value (the others): rich folds a value only where its column
    is narrower than that."""
    from rich import box
    from rich.cells import cell_len
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, box=box.SIMPLE_HEAD)
    for index, name in enumerate(header):
        cells = [name, *(row[index] for row in rows)]
        if name in wrap:
            widest = max((cell_len(word) for cell in cells for word in cell.split()), default=0)
            table.add_column(name, min_width=widest)
        else:
            table.add_column(name, no_wrap=True, min_width=max(map(cell_len, cells)))
    for row in rows:
        table.add_row(*map(Text, row))  # values, never markup
    return table


def print_columns(
    console: Console, title: str, header: Sequence[str], rows: Sequence[Sequence[str]]
) -> None:
    """Print a table as plain lines, its columns aligned, each line whole however narrow the
    console. A line longer than the terminal is wrapped by the terminal, which copies it
    whole."""
    from rich.cells import cell_len, set_cell_size

    lines = [header, *rows]
    widths = [max(cell_len(line[column]) for line in lines) for column in range(len(header))]

    def aligned(line: Sequence[str]) -> str:
        cells = (set_cell_size(cell, width) for cell, width in zip(line, widths, strict=True))
        # the padding after the last column only: a value may end with a full-width space
        return ("  " + "   ".join(cells)).rstrip(" ")

    console.print(f"{title}:", highlight=False, markup=False)
    console.out(aligned(header), style="bold", highlight=False)
    for row in rows:
        console.out(aligned(row), highlight=False)
