"""Integer keys of transaction lines, computed fast: the costly parts of the typed-lines step.

* :func:`sorted_codes`: customer ids numbered in sorted id order (as
  ``pd.factorize(ids, sort=True)``, cheaper);
* :func:`order_id_codes` and :func:`combine_codes`: one ``order_key`` per
  distinct (customer, order id), numbered by first appearance;
* :func:`duplicated_rows`: exact duplicate rows (as ``DataFrame.duplicated``),
  through a hash pre-filter;
* :func:`stripped`: a text column trimmed without a second copy of its text.

Each gives exactly what the plain pandas formulation gives (``tests/test_pipeline.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def sorted_codes(ids: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes of the ids numbered in sorted id order (missing: -1), and the sorted distinct ids.

    The same as ``pd.factorize(ids, sort=True)``, cheaper: ids that are digits of
    one width (member numbers such as "0012345") are numbered through their
    integer values, whose order is then the text order; other ids are found in
    order of appearance and only the distinct ids (not the rows) are sorted.
    """
    arr = pa.array(ids.array)
    width = _digits_width(arr)
    if width is not None:
        ints = pc.cast(arr, pa.int64())
        null = np.asarray(ints.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        values_ = np.asarray(pc.fill_null(ints, 0).to_numpy(zero_copy_only=False), dtype=np.int64)
        keys = pd.arrays.IntegerArray(values_, null) if null.any() else values_
        codes, uniques = pd.factorize(keys, sort=True)
        text = pc.utf8_lpad(pc.cast(pa.array(np.asarray(uniques, dtype=np.int64)), pa.large_string()), width, "0")
        return codes.astype(np.int64, copy=False), pd.Index(text.to_pandas(), dtype="str")
    codes, uniques = pd.factorize(ids)
    if len(uniques) < 2:
        return codes.astype(np.int64, copy=False), pd.Index(uniques, dtype="str")
    order = np.asarray(pc.sort_indices(pa.array(uniques.array)))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    if len(codes) and codes.min() >= 0:
        sorted_codes = rank[codes]
    else:
        sorted_codes = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1)
    return sorted_codes, pd.Index(pa.array(uniques.array).take(pa.array(order)).to_pandas(), dtype="str")


def _digits_width(arr: pa.Array | pa.ChunkedArray) -> int | None:
    """The common length of the values when every present one is 1–18 ASCII digits
    of that one length (then text order = number order), else None."""
    if len(arr) == 0 or arr.null_count == len(arr):
        return None
    if not pc.all(pc.ascii_is_decimal(arr)).as_py():
        return None
    lo_hi = pc.min_max(pc.binary_length(arr)).as_py()
    if lo_hi["min"] != lo_hi["max"] or lo_hi["max"] > 18:
        return None
    return int(lo_hi["max"])


def stripped(col: pd.Series) -> pd.Series:
    """A text column with surrounding white space removed.

    When nothing was removed (the usual case) the column itself is returned and
    the trimmed copy dropped at once, so the clean table shares the text of the
    table as read instead of holding a second copy of it.
    """
    if not len(col):
        return col
    out = col.str.strip()
    size = _text_bytes(col)
    if size is not None and _text_bytes(out) == size:  # trimming only removes: equal size = unchanged
        return col
    return out


def _text_bytes(col: pd.Series) -> int | None:
    """Total bytes of an Arrow-backed text column, from its offsets alone (None if not Arrow)."""
    if not isinstance(col.array, pd.arrays.ArrowStringArray):
        return None
    arr = pa.array(col.array)
    total = 0
    for ch in (arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]):
        if len(ch):
            offs = np.frombuffer(ch.buffers()[1], dtype=np.int64 if pa.types.is_large_string(ch.type) else np.int32)
            total += int(offs[ch.offset + len(ch)]) - int(offs[ch.offset])
    return total


def _hash_rows(keys: list[np.ndarray]) -> np.ndarray:
    """A 64-bit mix of several 8-byte arrays (equal inputs give equal hashes)."""
    h = np.zeros(len(keys[0]), dtype=np.uint64)
    mult = np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        for k in keys:
            v = np.ascontiguousarray(k)
            v = v.view(np.uint64) if v.dtype.itemsize == 8 else v.astype(np.int64).view(np.uint64)
            h = (h ^ v) * mult
            h ^= h >> np.uint64(29)
    return h


def duplicated_rows(src: pd.DataFrame, keys: list[np.ndarray]) -> np.ndarray:
    """Rows that exactly repeat an earlier row of ``src`` (all cells equal, missing = missing).

    Comparing every column of a million-row table is the costly part of the
    report, so rows are first compared on a hash of a few 8-byte keys derived
    from their cells (customer code, parsed date, parsed amount, order id code).
    Equal rows have equal keys and so equal hashes: only rows whose hash repeats
    can be duplicates.  The full comparison then runs on those candidates alone,
    in their original order, which gives exactly ``src.duplicated(keep="first")``
    (a hash collision only adds a candidate, never hides a duplicate).

    Args:
        src: the table as read (text cells).
        keys: arrays aligned with ``src``, each a function of a row's cells.

    Returns:
        Boolean array, True for the second and later copies of a row.
    """
    n = len(src)
    out = np.zeros(n, dtype=bool)
    if n < 2:
        return out
    cand = pd.Series(_hash_rows(keys)).duplicated(keep=False).to_numpy()
    pos = np.flatnonzero(cand)
    if len(pos):
        sub = pd.DataFrame({i: _take_rows(src.iloc[:, i], pos) for i in range(src.shape[1])})
        out[pos] = sub.duplicated(keep="first").to_numpy()
    return out


def _take_rows(col: pd.Series, pos: np.ndarray) -> pd.Series:
    """``col.iloc[pos]`` for sorted positions, taken chunk by chunk from an Arrow
    column (Arrow's take on a many-chunk column costs several times more)."""
    if not isinstance(col.array, pd.arrays.ArrowStringArray):
        return col.iloc[pos].reset_index(drop=True)
    arr = pa.array(col.array)
    if not isinstance(arr, pa.ChunkedArray) or arr.num_chunks <= 1:
        return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([arr.take(pa.array(pos))])))
    bounds = np.cumsum([0] + [len(c) for c in arr.chunks])
    cuts = np.searchsorted(pos, bounds)
    pieces = [arr.chunk(i).take(pa.array(pos[cuts[i]:cuts[i + 1]] - bounds[i]))
              for i in range(arr.num_chunks) if cuts[i + 1] > cuts[i]]
    return pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(pieces, type=arr.type)))


def order_id_codes(order_id: pd.Series) -> np.ndarray:
    """Codes of stripped order ids: equal ids share a code; missing and blank ids get 0.

    Order numbers that are plain digits without leading zeros (the usual case) are
    numbered through their integer values, which is exact (one number, one text)
    and much cheaper than hashing the text; codes are numbered by first appearance
    either way.
    """
    arr = pa.array(order_id.array)
    as_int = _plain_integers(arr)
    if as_int is not None:
        ints, null = as_int
        if not null.any() and len(ints) > 1:
            step = np.diff(ints)
            if (step >= 0).all():
                # numbers in ascending order (exports sorted by order number): the
                # first appearance of each is where it changes
                codes = np.empty(len(ints), dtype=np.int64)
                codes[0] = 1
                np.cumsum(step != 0, out=codes[1:])
                codes[1:] += 1
                return codes
        keys = pd.arrays.IntegerArray(ints, null) if null.any() else ints
        return pd.factorize(keys)[0].astype(np.int64) + 1  # missing: -1 + 1 = 0
    ocode = pd.factorize(order_id)[0].astype(np.int64) + 1
    blank = (order_id.str.len() == 0).to_numpy(dtype=bool, na_value=False)
    if blank.any():
        ocode[blank] = 0
    return ocode


def _plain_integers(arr: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray] | None:
    """The values as int64 when every present one is 1–18 ASCII digits without a
    leading zero (so that different texts are different numbers), else None.

    Returns:
        ``(ints, missing)``; missing values are 0 in ``ints``.
    """
    if len(arr) == 0 or arr.null_count == len(arr):
        return None
    if not pc.all(pc.ascii_is_decimal(arr)).as_py():  # false for "" as well
        return None
    lengths = pc.binary_length(arr)
    if (pc.max(lengths).as_py() or 0) > 18:
        return None
    lead_zero = pc.and_(pc.starts_with(arr, "0"), pc.greater(lengths, 1))
    if pc.any(lead_zero).as_py():
        return None
    ints = pc.cast(arr, pa.int64())
    null = np.asarray(ints.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    return np.asarray(pc.fill_null(ints, 0).to_numpy(zero_copy_only=False), dtype=np.int64), null


def combine_codes(id_codes: np.ndarray, order_codes: np.ndarray, *, complete: bool = False) -> np.ndarray:
    """One int64 per distinct (customer, order id) pair, numbered by first appearance.

    When every order id belongs to one customer and none is blank (the usual
    case), the pairs are the order ids themselves and their codes are reused.

    Args:
        id_codes: customer codes of the rows (equal ids = equal codes).
        order_codes: :func:`order_id_codes` of the rows.
        complete: the rows are all the rows ``order_codes`` were made for (none
            dropped), so its codes 1..k are dense and numbered by first appearance.

    Returns:
        int64 array of codes 0..k-1.
    """
    if not len(order_codes):
        return np.zeros(0, dtype=np.int64)
    if order_codes.min() > 0:
        k = int(order_codes.max())
        owner = np.zeros(k + 1, dtype=np.int64)
        owner[order_codes] = id_codes  # (which row's write wins does not matter to the test below)
        if (owner[order_codes] == id_codes).all():  # each order id belongs to one customer
            if complete:
                return order_codes - 1
            present = np.zeros(k + 1, dtype=bool)
            present[order_codes] = True
            codes = (np.cumsum(present) - 1)[order_codes]  # dense: rank among the ids still present
            if _first_appearance(codes):
                return codes.astype(np.int64, copy=False)
    span = int(order_codes.max(initial=0)) + 1
    combined = id_codes.astype(np.int64) * span + order_codes
    return pd.factorize(combined)[0].astype(np.int64)


def _first_appearance(codes: np.ndarray) -> bool:
    """Whether dense codes 0..k-1 are numbered by first appearance (as factorize numbers them):
    each code is at most one more than the largest code before it."""
    if not len(codes):
        return True
    before = np.maximum.accumulate(codes)[:-1]
    return bool(codes[0] == 0 and (codes[1:] <= before + 1).all())
