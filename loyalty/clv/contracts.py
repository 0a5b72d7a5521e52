"""Contractual lifetime (sBG) for the app and the command line: read, fit, value.

A contractual business (BtoB, SaaS, subscriptions) knows when each customer leaves, so its
lifetime is modelled from renewals (:mod:`loyalty.clv.sbg`, Fader & Hardie 2007), not from
purchases.  Two kinds of table are read:

* a **survivors table**: columns ``period`` (optional; 0, 1, 2, ...) and ``survivors``
  (customers of one cohort still active at the start of each period), e.g. the paper's
  1000, 631, 468, 382, 326, 289, 262, 241;
* **contract lines**: a customer id, a start date and an end date (the cancellation date;
  empty while the contract runs), and optionally a payment per period.  Renewals are
  counted by the calendar every ``period_months`` months (:func:`loyalty.clv.sbg.renewals_from_contracts`).

Which is which is told from the header names (:data:`SURVIVORS_HEADERS`, ... as data,
normalised as :func:`loyalty.mapping.normalise_header` does).  :func:`fit_contracts` fits
the sBG model with the automatic penalizer retry of :mod:`loyalty.clv.api`;
:func:`contract_values` gives per contract the renewals, DERL and residual value (or per
period of a survivors table the projection); :func:`survival_curve` the observed and
projected survival for the page's chart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

import loyalty.clv.sbg as sbg
from loyalty.clv.api import PenalizerChoice, with_penalizer_retry
from loyalty.clv.common import check_penalizer
from loyalty.errors import LoyaltyError
from loyalty.i18n import error
from loyalty.mapping import detect_mapping, normalise_header

#: Header names (normalised) of the survivors table's columns ...
PERIOD_HEADERS = ("period", "periods", "t", "year", "years", "month", "months", "期間", "期", "経過期間", "経過年数",
                  "経過月数", "年目", "年数", "月数", "更新回数")
SURVIVORS_HEADERS = ("survivors", "survivor", "active", "activecustomers", "retained", "継続数", "継続人数",
                     "継続顧客数", "継続者数", "残存数", "残存人数", "残存顧客数", "契約数", "有効契約数", "顧客数", "人数")
#: ... and of contract lines (a customer id is also found as on the Data page).
ID_HEADERS = ("contract", "contractid", "contractno", "subscription", "subscriptionid", "契約id", "契約番号",
              "契約no", "契約コード", "customer", "id")
START_HEADERS = ("start", "startdate", "contractstart", "since", "開始日", "契約開始日", "契約日", "加入日", "入会日",
                 "申込日", "利用開始日", "契約開始")
END_HEADERS = ("end", "enddate", "contractend", "canceldate", "cancellationdate", "churndate", "終了日", "解約日",
               "契約終了日", "退会日", "利用終了日", "解約", "契約終了")
PAYMENT_HEADERS = ("payment", "fee", "amount", "price", "mrr", "arr", "月額", "月額料金", "月額利用料", "年額",
                   "年間契約額", "契約額", "契約金額", "金額", "利用料")
#: The contract period of contract lines when none is given: a year.
DEFAULT_PERIOD_MONTHS = 12


@dataclass(frozen=True)
class ContractTable:
    """A contract table read and checked, before fitting.

    Attributes:
        kind: ``"survivors"`` or ``"contracts"``.
        name: the file name (messages name it).
        renewals, active, customers: the sBG rows (renewals made, still active, how many customers).
        frame: survivors: ``period, survivors``; contracts: ``customer_id, start, end,
            active, renewals`` (+ ``payment`` when the table has one), one row per line.
        as_of: the day contract lines are seen on (None for a survivors table).
        period_months: months per period (contract lines; for a survivors table what the caller said).
    """

    kind: str
    name: str
    renewals: np.ndarray
    active: np.ndarray
    customers: np.ndarray
    frame: pd.DataFrame
    as_of: date | None
    period_months: int


def _find(columns: list[str], names: tuple[str, ...]) -> str | None:
    """The first column whose normalised header is one of ``names``."""
    wanted = {normalise_header(n) for n in names}
    return next((c for c in columns if normalise_header(c) in wanted), None)


def _numbers(frame: pd.DataFrame, column: str, rows: np.ndarray, file: str) -> np.ndarray:
    """A column of whole numbers >= 0; the first cell that is not one is named by its row."""
    text = frame[column].astype("str").str.replace(",", "", regex=False).str.strip()
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(values) | (values < 0) | (np.abs(values - np.round(values)) > 1e-9)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise error("clv.error.bad_count", file=file, column=column, row=int(rows[i]))
    return values


def _dates(frame: pd.DataFrame, column: str, rows: np.ndarray, file: str, allow_missing: bool) -> pd.Series:
    """A date column (YYYY-MM-DD, YYYY/MM/DD, ...); empty cells NaT where allowed."""
    text = frame[column].astype("str").str.strip()
    empty = text.isna() | (text == "")
    parsed = pd.to_datetime(text.where(~empty), errors="coerce", format="mixed")
    bad = (parsed.isna() & ~empty) | (empty & (not allow_missing))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise error("clv.error.bad_contract_date", file=file, column=column, row=int(rows[i]))
    return parsed.dt.normalize()


def _located(exc: LoyaltyError, file: str, rows: np.ndarray, offset: int) -> LoyaltyError:
    """``exc`` naming the file and the file's own row (sbg's messages count positions from ``offset``)."""
    exc.file = file
    if exc.row is not None and 0 <= exc.row - offset < len(rows):
        exc.row = int(rows[exc.row - offset])
    return exc


def read_contract_table(frame: pd.DataFrame, *, name: str = "", row_numbers: Any = None, as_of: Any = None,
                        period_months: int = DEFAULT_PERIOD_MONTHS) -> ContractTable:
    """A survivors table or contract lines -> the sBG rows.

    Args:
        frame: the table's cells (text or numbers), e.g. ``RawTable.frame``.
        name: the file name, for messages.
        row_numbers: the file's row number of each frame row (default: 2, 3, ... below a header).
        as_of: contract lines: the day they describe (default: the latest start or end date).
        period_months: contract lines: months per contract period (1 monthly, 12 yearly).

    Returns:
        ContractTable.

    Raises:
        LoyaltyError: neither kind of table, or a bad value (naming file, row and column).
    """
    rows = np.arange(2, len(frame) + 2) if row_numbers is None else np.asarray(row_numbers).reshape(-1)
    columns = [str(c) for c in frame.columns]
    survivors_col = _find(columns, SURVIVORS_HEADERS)
    start_col, end_col = _find(columns, START_HEADERS), _find(columns, END_HEADERS)
    if start_col is not None and end_col is not None:
        return _contract_lines(frame, name, rows, start_col, end_col, as_of, period_months)
    if survivors_col is None:
        raise error("clv.error.not_a_contract_table", file=name, columns=", ".join(columns[:8]))
    n = _numbers(frame, survivors_col, rows, name)
    period_col = _find(columns, PERIOD_HEADERS)
    periods = _numbers(frame, period_col, rows, name) if period_col is not None else np.arange(n.size, dtype=float)
    try:
        renewals, active, customers = sbg.renewals_from_survivors(n, periods if period_col is not None else None)
    except LoyaltyError as exc:
        raise _located(exc, name, rows, 2) from None
    out = pd.DataFrame({"period": periods.astype(np.int64), "survivors": n.astype(np.int64)})
    return ContractTable(kind="survivors", name=name, renewals=renewals, active=active, customers=customers,
                         frame=out, as_of=None, period_months=int(period_months))


def _contract_lines(frame: pd.DataFrame, name: str, rows: np.ndarray, start_col: str, end_col: str, as_of: Any,
                    period_months: int) -> ContractTable:
    """Contract lines (start, end) -> renewals and whether each is still active (see :func:`read_contract_table`)."""
    start = _dates(frame, start_col, rows, name, allow_missing=False)
    end = _dates(frame, end_col, rows, name, allow_missing=True)
    day = pd.Timestamp(as_of).normalize() if as_of is not None else max(start.max(), end.max())
    try:
        renewals, active = sbg.renewals_from_contracts(start.to_numpy(), end.to_numpy(), as_of=day.to_datetime64(),
                                                       period_months=period_months, row_numbers=rows)
    except LoyaltyError as exc:
        exc.file = name
        raise
    id_col = _find([str(c) for c in frame.columns], ID_HEADERS) or \
        detect_mapping(list(frame.columns), "customers").column("customer_id")
    out = pd.DataFrame({
        "customer_id": frame[id_col].astype("str").to_numpy() if id_col else [f"{r}" for r in rows],
        "start": start.to_numpy(), "end": end.to_numpy(), "active": active, "renewals": renewals.astype(np.int64),
    })
    pay_col = _find([str(c) for c in frame.columns], PAYMENT_HEADERS)
    if pay_col is not None:
        text = frame[pay_col].astype("str").str.replace(",", "", regex=False).str.replace("¥", "", regex=False)
        out["payment"] = pd.to_numeric(text.str.strip(), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return ContractTable(kind="contracts", name=name, renewals=renewals, active=active, customers=np.ones(renewals.size),
                         frame=out, as_of=day.date(), period_months=int(period_months))


@dataclass(frozen=True)
class ContractFit:
    """A fitted sBG model with the table it came from.

    Attributes:
        table: the contract table.
        fit: the sBG fit.
        penalizer: the penalizer used, and why (the automatic retry).
    """

    table: ContractTable
    fit: sbg.SBGFit
    penalizer: PenalizerChoice

    def params_dict(self) -> dict[str, dict[str, float]]:
        """``{"sbg": {"alpha", "beta", "loglik"}}`` (the CLI's ``--json``, DESIGN §5)."""
        return {"sbg": dict(self.fit.params())}


def fit_contracts(table: ContractTable, *, penalizer: float = 0.0, auto_penalizer: bool = True) -> ContractFit:
    """Fit the sBG model on a contract table, with the automatic penalizer retry.

    Args:
        table: what :func:`read_contract_table` returned.
        penalizer: L2 regularisation on log(alpha, beta).
        auto_penalizer: retry with 0.001, then 0.01, when the fit needs regularisation.

    Returns:
        ContractFit.

    Raises:
        LoyaltyError: fewer than 10 customers, nobody cancelled, or the fit cannot be made.
    """
    start = check_penalizer(penalizer)
    fitted, choice = with_penalizer_retry(
        lambda pen: sbg.fit(table.renewals, table.active, weights=table.customers, penalizer=pen),
        start, auto_penalizer)
    return ContractFit(table=table, fit=fitted, penalizer=choice)


def period_rate(monthly_discount_rate: float, period_months: int) -> float:
    """The discount rate per contract period from a monthly one: (1 + d)^months - 1."""
    return float((1.0 + float(monthly_discount_rate)) ** int(period_months) - 1.0)


def contract_values(cfit: ContractFit, discount_rate: float) -> pd.DataFrame:
    """Per contract (or per period of a survivors table): renewals, DERL and residual value.

    DERL (Fader & Hardie 2010) is the discounted number of payments still to come from a
    customer with n renewals, at her next renewal decision; residual value = payment x DERL
    for contracts still active (0 for cancelled ones), empty without a payment column.

    Args:
        cfit: a fitted contract table.
        discount_rate: discount rate per contract period (see :func:`period_rate`).

    Returns:
        Contracts: customer_id, start, end, active, renewals, derl, [payment,] residual_value.
        Survivors: period, survivors, projected (cohort x S(period)), retention (r(period),
        NaN for period 0), derl (for a customer with ``period`` renewals).

    Raises:
        LoyaltyError: a bad discount rate (0 with alpha <= 1: an infinite expected lifetime).
    """
    t = cfit.table
    out = t.frame.copy()
    if t.kind == "survivors":
        periods = out["period"].to_numpy() - int(out["period"].iloc[0])
        out["projected"] = sbg.project_survivors(cfit.fit, float(out["survivors"].iloc[0]), periods)
        out["retention"] = np.where(periods >= 1, sbg.retention(cfit.fit, np.maximum(periods, 1)), np.nan)
        out["derl"] = sbg.derl(cfit.fit, periods, discount_rate)
        return out
    out["derl"] = sbg.derl(cfit.fit, t.renewals, discount_rate)
    payment = out["payment"].to_numpy(dtype=float) if "payment" in out else np.full(len(out), np.nan)
    out["residual_value"] = np.where(t.active, payment * out["derl"].to_numpy(), 0.0)
    out.loc[np.isnan(payment), "residual_value"] = np.nan
    return out


def survival_curve(cfit: ContractFit, periods_ahead: int = 5) -> pd.DataFrame:
    """Observed and projected share of a cohort still active after each number of renewals.

    Observed: for a survivors table its survivors / cohort; for contract lines the
    Kaplan-Meier estimate (contracts seen for fewer periods are censored, not lost).
    Projected: S(t) = B(alpha, beta + t) / B(alpha, beta), to ``periods_ahead`` beyond the data.

    Args:
        cfit: a fitted contract table.
        periods_ahead: how many periods past the last observed one to project.

    Returns:
        period, observed (NaN beyond the data), projected.
    """
    t = cfit.table
    if t.kind == "survivors":
        observed = t.frame["survivors"].to_numpy(dtype=float) / float(t.frame["survivors"].iloc[0])
    else:
        observed = _kaplan_meier(t.renewals, t.active)
    last = observed.size - 1
    periods = np.arange(0, last + int(periods_ahead) + 1)
    shown = np.full(periods.size, np.nan)
    shown[: observed.size] = observed
    return pd.DataFrame({"period": periods, "observed": shown, "projected": sbg.survival(cfit.fit, periods)})


def _kaplan_meier(renewals: np.ndarray, active: np.ndarray) -> np.ndarray:
    """Share still active after 0..max renewals (Kaplan-Meier over renewal decisions).

    A contract cancelled after n renewals left at decision n+1; an active one with n renewals
    has passed n decisions and not yet faced the next.  At decision k+1 the contracts at risk
    are the cancelled ones with n >= k and the active ones with n >= k+1; S(t) is the product
    over the first t decisions of (1 - cancelled there / at risk there).
    """
    n = renewals.astype(np.int64)
    top = int(n.max()) if n.size else 0
    cancelled = np.bincount(n[~active], minlength=top + 2).astype(float)
    still = np.bincount(n[active], minlength=top + 2).astype(float)
    at_least_c = cancelled[::-1].cumsum()[::-1]
    at_least_a = still[::-1].cumsum()[::-1]
    at_risk = at_least_c[: top + 1] + at_least_a[1: top + 2]
    keep = np.where(at_risk > 0, 1.0 - cancelled[: top + 1] / np.maximum(at_risk, 1.0), 1.0)
    return np.concatenate([[1.0], np.cumprod(keep)])[: top + 1]
