"""Where the table starts: the separator, title lines, the header (one or two rows).

Two header rows (a group row above the real header, often with merged cells):
the lower row names the columns; the group label above is put in front only
where the lower name is blank or repeated ("最終購入 日付").
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from loyalty import limits as limits_mod
from loyalty.i18n import error
from loyalty.readers.table import clean_names

#: Lines at the start of a text file decoded to find its layout.
HEAD_LINES = 200


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


def header_line(lines: list[str], first: int, delimiter: str) -> int:
    """Skip title lines above the table: the header is the first of the first
    non-blank records that has the table's usual number of fields.

    Records, not lines, are counted (a quoted cell may hold line breaks), and
    each record is attributed to the line it starts on.
    """
    counts: list[tuple[int, int]] = []  # (line index, fields)
    if delimiter == "whitespace":
        counts = [(i, len(lines[i].split())) for i in range(first, min(len(lines), first + 60))
                  if lines[i].strip()]
    else:
        chunk = lines[first:first + 60]
        reader = csv.reader(io.StringIO("\n".join(chunk)), delimiter=delimiter)
        prev = 0
        try:
            for rec in reader:
                start = first + prev
                prev = reader.line_num
                if rec and any(c.strip() for c in rec):
                    counts.append((start, len(rec)))
        except csv.Error:
            pass
    if len(counts) < 2:
        return counts[0][0] if counts else first
    values = [c for _, c in counts]
    top = max(values.count(c) for c in set(values))
    tied = {c for c in set(values) if values.count(c) == top}
    # a tie between the first record's width and a wider one (rows with an extra
    # field) keeps the first record as the header; otherwise the wider wins
    mode = values[0] if values[0] in tied and values[0] >= 2 else max(tied)
    return next((i for i, c in counts if c == mode), first)


_VALUE_LIKE = re.compile(r"^[\s¥￥$+\-−－▲△(（]*[0-9０-９][0-9０-９,，./\-:年月日 T]*[円%)）]?$")
_ERA_DATE = re.compile(r"^\s*(?:令和|平成|昭和|大正|明治|[RHSTMrhstm]\s*\d)")


def value_like(cell: str | None) -> bool:
    """Whether a cell looks like a value (a number, an amount, a date) rather than a label."""
    text = (cell or "").strip()
    return bool(text and (_VALUE_LIKE.match(text) or _ERA_DATE.match(text)))


def looks_like_header(cells: list[str]) -> bool:
    """A first line is a header unless every non-empty cell looks like a value."""
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


@dataclass
class TextLayout:
    """Where the table starts in a text file and what its columns are called."""

    delimiter: str
    first: int  # 0-based index of the header line (or of the first data line without header)
    data_line: int  # 0-based index of the first data line
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
    first = header_line(lines, first, delimiter)

    def cells(i: int) -> list[str]:
        return split_line(lines[i], delimiter) if i < len(lines) else []

    head_cells = cells(first)
    has_header = looks_like_header(head_cells)
    notes: list[tuple[str, dict]] = []
    if has_header:
        data_line = first + 1
        below = [cells(i) for i in range(first + 2, min(len(lines), first + 22)) if lines[i].strip()]
        if first + 1 < len(lines) and lines[first + 1].strip() and is_group_row(head_cells, cells(first + 1), below):
            head_cells = combined_names(head_cells, cells(first + 1))
            notes.append(("note.rel_two_header_rows", {"upper": first + 1, "lower": first + 2}))
            data_line = first + 2
        names = clean_names(head_cells)
        header_row: int | None = data_line
        if first > 0:
            notes.insert(0, ("note.skipped_title_lines", {"lines": first}))
    else:
        names = [f"列{i + 1}" for i in range(len(head_cells))]
        data_line = first
        header_row = None
    if len(names) > lim.LOYALTY_MAX_COLUMNS:
        raise error("error.too_many_columns", file=name, columns=len(names), limit=lim.LOYALTY_MAX_COLUMNS)
    return TextLayout(delimiter, first, data_line, names, header_row, notes)
