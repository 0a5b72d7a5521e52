"""Where the table starts: the separator, title lines, the header (one or two rows).

One header detector, :func:`find_header`, serves text files and sheets alike:
both hand it their first rows (a text file's records, a sheet's rows) as
:class:`Row` values, and get back where the table starts, its column names and
the notes to show.  The rule, in short:

* **Title lines** above the table are skipped.  A row's *reach* is the position
  of its last filled cell (so the empty fields Excel adds to a title line when it
  saves a sheet as CSV do not count).  Its *width* is its reach or, when more
  than two thirds of the fields a text record states are filled, its number of
  fields (a header may have a column without a name: "会員番号,購入日,金額,").
  It is *mostly filled* when more than two thirds of the cells from its first to
  its last filled cell are filled.  The header is the first row as wide as most
  rows reach and mostly filled: a title ("注文一覧", or a title with a date far to
  the right) is not.  (A title line with more cells than the table has columns
  is therefore taken for the header.)
* **No header**: when every filled cell of that row looks like a value (a number,
  an amount, a date), the table has no header and its columns are 列1, 列2, …
* **Two header rows** (a group row above the real header, often with merged
  cells): the lower row names the columns; the group label above is put in front
  only where the lower name is blank or repeated ("最終購入 日付").  The row
  above the header and the row below it are both tried as the other half.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field

from loyalty import limits as limits_mod
from loyalty.i18n import error
from loyalty.readers.table import clean_names, numbered_names

#: Lines at the start of a text file decoded to find its layout.
HEAD_LINES = 200
#: Rows looked at to find the header, counted from the first row with content.
HEAD_ROWS = 60
#: Rows under a header looked at to tell whether the row above is a group row.
BELOW_ROWS = 20
#: Rows a caller gives :func:`find_header`: the header search, the row under the
#: last candidate, and the rows under that one.
HEAD_SPAN = HEAD_ROWS + BELOW_ROWS + 2


def detect_delimiter(lines: list[str]) -> str:
    """Pick the field separator from the first lines.

    The candidate whose count is the same (and positive) on most records wins;
    else whitespace runs; else comma.  Records are read with each candidate as a
    CSV reader would (a quoted cell may hold separators and line breaks), so a
    memo column full of commas, tabs or line breaks does not mislead the choice.

    Args:
        lines: the first non-blank lines of the file.

    Returns:
        "," "\\t" ";" "|" or "whitespace".
    """
    text = "\n".join(lines)
    best, best_score = None, 0.0
    for cand in (",", "\t", ";", "|"):
        if cand not in text:
            continue
        try:
            counts = [len(rec) - 1 for rec in csv.reader(io.StringIO(text), delimiter=cand)
                      if any(c.strip() for c in rec)]
        except csv.Error:
            counts = [_count_outside_quotes(ln, cand) for ln in lines]
        positive = [c for c in counts if c > 0]
        if not positive:
            continue
        mode = max(set(positive), key=positive.count)
        score = sum(1 for c in counts if c == mode) / len(counts) + mode * 1e-3
        if score > best_score:
            best, best_score = cand, score
    if best is not None and best_score >= 0.6:
        return best
    tokens = [len(ln.split()) for ln in lines]
    if tokens and min(tokens) >= 2 and max(set(tokens), key=tokens.count) >= 2:
        return "whitespace"
    return best or ","


def _count_outside_quotes(line: str, ch: str) -> int:
    """How often ``ch`` occurs in ``line`` outside double quotes."""
    if '"' not in line:
        return line.count(ch)
    count, quoted = 0, False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == ch and not quoted:
            count += 1
    return count


def split_line(line: str, sep: str) -> list[str]:
    """The cells of one line (CSV quoting understood; "whitespace" splits on runs).

    Args:
        line: one line of text.
        sep: the separator, or "whitespace".

    Returns:
        The cells.
    """
    if sep == "whitespace":
        return line.split()
    try:
        return next(csv.reader([line], delimiter=sep), [])
    except csv.Error:
        return line.split(sep)


_VALUE_LIKE = re.compile(r"^[\s¥￥$+\-−－▲△(（]*[0-9０-９][0-9０-９,，./\-:年月日 T]*[円%)）]?$")
_ERA_DATE = re.compile(r"^\s*(?:令和|平成|昭和|大正|明治|[RHSTMrhstm]\s*\d)")


def value_like(cell: str | None) -> bool:
    """Whether a cell looks like a value (a number, an amount, a date) rather than a label.

    Args:
        cell: the cell's text (None for an empty cell).

    Returns:
        True for 1,200 / ¥1,200 / ▲300 / 2024/07/01 / 令和6年… / R6.1.5 and the like.
    """
    text = (cell or "").strip()
    return bool(text and (_VALUE_LIKE.match(text) or _ERA_DATE.match(text)))


def looks_like_header(cells: list[str | None]) -> bool:
    """A first row is a header unless every non-empty cell looks like a value.

    Args:
        cells: the row's cells.

    Returns:
        False for an empty row or a row of numbers, amounts and dates.
    """
    values = [c.strip() for c in cells if c and c.strip()]
    if not values:
        return False
    return not all(_VALUE_LIKE.match(v) for v in values)


def is_group_row(upper: list[str | None], lower: list[str | None], below: list[list[str | None]]) -> bool:
    """Whether ``upper`` is a group row above the real header ``lower``.

    Both rows hold only text (no cell looks like a number or a date); the upper
    row has at least two labels and a blank or repeated label (merged cells
    leave blanks); and the rows below have value columns (numbers, dates) that
    the lower row names.  A title line (one label) or an all-text table never
    qualifies.

    Args:
        upper: the cells of the row above.
        lower: the cells of the header candidate.
        below: the cells of the rows under it (about twenty).

    Returns:
        True for a group row.
    """
    if len(upper) != len(lower):  # a group row spans the same columns as the header
        return False
    width = len(upper)
    up = [(c or "").strip() for c in upper]
    lo = [(c or "").strip() for c in lower]
    up_filled = [c for c in up if c]
    lo_filled = [c for c in lo if c]
    if len(up_filled) < 2 or len(lo_filled) < len(up_filled):
        return False
    if any(value_like(c) for c in up_filled + lo_filled):
        return False
    gaps = any(not u and lw for u, lw in zip(up, lo))
    repeats = len(set(up_filled)) < len(up_filled)
    if not (gaps or repeats):
        return False
    for j in range(width):
        cells = [(r[j] or "").strip() for r in below if j < len(r) and r[j] and str(r[j]).strip()]
        if lo[j] and cells and sum(value_like(c) for c in cells) * 2 >= len(cells):
            return True
    return False


def combined_names(upper: list[str | None], lower: list[str | None]) -> list[str]:
    """Column names from two header rows: the lower name, with the group label
    (carried right across merged/blank cells) in front where the lower name is
    blank or repeated.

    Args:
        upper: the group row's cells.
        lower: the header row's cells.

    Returns:
        One name per column (not yet cleaned: see :func:`loyalty.readers.table.clean_names`).
    """
    width = max(len(upper), len(lower))
    up = [(upper[j] or "").strip() if j < len(upper) else "" for j in range(width)]
    lo = [(lower[j] or "").strip() if j < len(lower) else "" for j in range(width)]
    carried, label = [], ""
    for u in up:
        label = u or label
        carried.append(label)
    counts: dict[str, int] = {}
    for n in lo:
        counts[n] = counts.get(n, 0) + 1
    names = []
    for g, n in zip(carried, lo):
        if n and counts[n] == 1:
            names.append(n)
        elif n:
            names.append(f"{g} {n}".strip())
        else:
            names.append(g)
    return names


@dataclass(frozen=True)
class Row:
    """One row with content at the top of a table file.

    Attributes:
        start: 0-based index of the row (a sheet's row; the line a text record starts on).
        stop: the index just after it (a text record with a quoted line break spans lines).
        cells: its cells, left to right, one per column of the table (None or blank
            text for an empty cell).
        fields: how many cells the row itself states: a text record's fields (empty
            ones included); for a sheet row, up to its last filled cell (a sheet
            does not say where a row ends).
    """

    start: int
    stop: int
    cells: list[str | None]
    fields: int


@dataclass(frozen=True)
class Header:
    """Where a table starts and what its columns are called (see :func:`find_header`).

    Attributes:
        top: index of the table's first row (its header, upper header row or first
            data row); the rows above it are title lines.
        data: index of the first data row.
        names: the column names.
        header_row: 1-based row number of the header (the lower of two header
            rows), or None when the table has no header.
        notes: catalogue keys (with values) of what was done: title lines skipped,
            two header rows combined.
    """

    top: int
    data: int
    names: list[str]
    header_row: int | None
    notes: list[tuple[str, dict]] = field(default_factory=list)


def _filled(cell: str | None) -> bool:
    """A cell with more than white space."""
    return cell is not None and bool(str(cell).strip())


def _mostly(filled: int, cells: int) -> bool:
    """More than two thirds of ``cells`` are filled: true of a header (all its
    names, or all but one of four or more), not of a title with a date beside it."""
    return filled * 3 > cells * 2


def _measure(row: Row) -> tuple[int, int, bool]:
    """A row's reach, its width and whether it is mostly filled (see :func:`find_header`)."""
    idx = [j for j, c in enumerate(row.cells) if _filled(c)]
    if not idx:
        return 0, 0, False
    width = row.fields if _mostly(len(idx), row.fields) else idx[-1] + 1
    return idx[-1] + 1, width, _mostly(len(idx), idx[-1] - idx[0] + 1)


def usual_reach(reaches: list[int]) -> int:
    """How far most rows reach: the most common reach.

    A tie between the first row's reach and another keeps the first row's when it
    reaches two cells or more (a header over as many rows that carry an extra
    field as rows that do not); otherwise the farthest of the tied reaches wins.

    Args:
        reaches: the reach of each row, top to bottom (at least one).

    Returns:
        The usual reach.
    """
    counts = Counter(reaches)
    top = max(counts.values())
    tied = {r for r, n in counts.items() if n == top}
    return reaches[0] if reaches[0] in tied and reaches[0] >= 2 else max(tied)


def _same_columns(upper: list[str | None], lower: list[str | None]) -> list[str | None] | None:
    """``upper`` cut or padded to ``lower``'s columns, or None when it has content
    beyond them (a group row spans the header's columns; a text row may stop early
    or carry empty fields after its last label)."""
    if any(_filled(c) for c in upper[len(lower):]):
        return None
    return list(upper[:len(lower)]) + [None] * (len(lower) - len(upper))


def _group_pair(rows: list[Row], k: int) -> tuple[Row, Row] | None:
    """The two header rows around ``rows[k]`` (the row above it first, then the
    row below it), or None when neither is a group row over a header."""
    for up, low in ((k - 1, k), (k, k + 1)):
        if up < 0 or low >= len(rows) or rows[up].stop != rows[low].start:
            continue  # not adjacent: a blank row between them
        upper = _same_columns(rows[up].cells, rows[low].cells)
        below = [r.cells for r in rows[low + 1:] if r.start < rows[low].stop + BELOW_ROWS]
        if upper is not None and is_group_row(upper, rows[low].cells, below):
            return rows[up], rows[low]
    return None


def find_header(rows: list[Row]) -> Header:
    """Find the header of a table from its first rows (one rule for text files and sheets).

    The rows searched are those that start within :data:`HEAD_ROWS` of the first
    one.  The header is the first of them whose width reaches as far as most rows
    do (:func:`usual_reach`) and that is mostly filled (or, when none is, the first
    that is that wide); the rows above it are title lines.  When every filled cell
    of it looks like a value, the table has no header.  Otherwise the row above it
    and then the row below it are tried as a group row (:func:`is_group_row`).

    Args:
        rows: the rows with content, top to bottom, from the first one, covering at
            least :data:`HEAD_SPAN` rows of the file (fewer when it is shorter).

    Returns:
        Where the table starts, its column names and notes.  Without any row: no
        header, no names, the table starting at row 0.
    """
    if not rows:
        return Header(top=0, data=0, names=[], header_row=None)
    window = [r for r in rows if r.start < rows[0].start + HEAD_ROWS]
    measured = [_measure(r) for r in window]
    reach = usual_reach([m[0] for m in measured])
    wide = [k for k, (_, width, _) in enumerate(measured) if width >= reach]
    k = next((k for k in wide if measured[k][2]), wide[0])
    row = rows[k]
    if not looks_like_header(row.cells):
        return Header(top=row.start, data=row.start, names=numbered_names(len(row.cells)), header_row=None)
    notes: list[tuple[str, dict]] = []
    pair = _group_pair(rows, k)
    if pair is None:
        upper, lower, names = row, row, clean_names(row.cells)
    else:
        upper, lower = pair
        names = clean_names(combined_names(_same_columns(upper.cells, lower.cells), lower.cells))
        notes.append(("note.rel_two_header_rows", {"upper": upper.start + 1, "lower": lower.start + 1}))
    if upper.start > 0:
        notes.insert(0, ("note.skipped_title_lines", {"lines": upper.start}))
    return Header(top=upper.start, data=lower.stop, names=names, header_row=lower.start + 1, notes=notes)


def text_rows(lines: list[str], first: int, delimiter: str) -> list[Row]:
    """The records with content among ``lines[first:first + HEAD_SPAN]``, as :class:`Row` values.

    Records, not lines: a quoted cell may hold line breaks, and each record is
    attributed to the line it starts on.  Should the csv reader fail, the lines
    from the failing record on are split one by one.

    Args:
        lines: the first lines of the file (decoded, without line ends).
        first: index of the first line with content.
        delimiter: the separator, or "whitespace".

    Returns:
        The rows, top to bottom.
    """
    stop = min(len(lines), first + HEAD_SPAN)
    if delimiter == "whitespace":
        records = [(i, i + 1, lines[i].split()) for i in range(first, stop)]
    else:
        records = []
        reader = csv.reader(io.StringIO("\n".join(lines[first:stop])), delimiter=delimiter)
        done = 0  # lines read by the records so far
        try:
            for rec in reader:
                records.append((first + done, first + reader.line_num, rec))
                done = reader.line_num
        except csv.Error:
            records += [(i, i + 1, split_line(lines[i], delimiter)) for i in range(first + done, stop)]
    return [Row(start, end, cells, len(cells)) for start, end, cells in records if any(_filled(c) for c in cells)]


@dataclass
class TextLayout:
    """Where the table starts in a text file and what its columns are called.

    Attributes:
        delimiter: the separator ("," "\\t" ";" "|" or "whitespace").
        first: 0-based index of the table's first line (header, upper header, or first data line).
        data_line: 0-based index of the first data line.
        names: the column names.
        header_row: the 1-based line of the header (the lower of two), or None.
        notes: title lines skipped, two header rows combined.
    """

    delimiter: str
    first: int
    data_line: int
    names: list[str]
    header_row: int | None
    notes: list[tuple[str, dict]]


def text_layout(lines: list[str], name: str, lim: limits_mod.Limits, *,
                blank_start: bool = False) -> TextLayout | None:
    """Delimiter, title lines, header (one or two rows) and column names from the first lines.

    Args:
        lines: the first lines of the file (decoded, without line ends).
        name: the file name, for messages.
        lim: limits (the column count is checked here).
        blank_start: when none of the lines has content, lay the table out from
            the first line anyway (instead of returning None).

    Returns:
        The layout, or None when none of the lines has content (and not ``blank_start``).

    Raises:
        LoyaltyError: more columns than allowed.
    """
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is None:
        if not blank_start:
            return None
        first = 0
    sample = [ln for ln in lines[first:first + 50] if ln.strip()]
    delimiter = detect_delimiter(sample)
    rows = text_rows(lines, first, delimiter)
    if rows:
        header = find_header(rows)
    else:  # nothing but blank lines here: the table starts at the first line, without header
        cells = split_line(lines[first], delimiter) if first < len(lines) else []
        header = Header(top=first, data=first, names=numbered_names(len(cells)), header_row=None)
    if len(header.names) > lim.LOYALTY_MAX_COLUMNS:
        raise error("error.too_many_columns", file=name, columns=len(header.names),
                    limit=lim.LOYALTY_MAX_COLUMNS)
    return TextLayout(delimiter, header.top, header.data, header.names, header.header_row, list(header.notes))
