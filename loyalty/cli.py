"""The command line: ``python -m loyalty score|definition|quality|clv|effect``.

A stable interface (DESIGN §5).  ``score`` and ``quality`` also read a workspace of
the app by name (``--workspace``): its files, column mapping, duplicates choice,
currency and working definition.  Bad input prints a short message on standard
error and exits with status 2 — never a traceback.  Set ``LOYALTY_DEBUG=1`` to
see tracebacks of unexpected errors.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from datetime import date
from pathlib import Path

import pandas as pd

from loyalty import definition as defn
from loyalty import fmt, settings
from loyalty.errors import LoyaltyError
from loyalty.i18n import error, t

EXIT_USER_ERROR = 2
#: The models ``clv --model`` offers: the purchase models (their keys in loyalty.clv.registry.MODELS)
#: and the contractual sBG (loyalty.clv.registry.CONTRACT_MODELS), written here so that parsing
#: the command line does not import scipy.
CLV_MODELS = ("bgnbd", "pareto", "mbgnbd", "sbg")
EXIT_INTERNAL = 1


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m loyalty",
        description="Loyal-customer workbench: score customers from Excel/CSV exports.")
    p.add_argument("--lang", choices=["ja", "en"], default=settings.read("LOYALTY_LANG"),
                   help="language of messages (default: ja)")
    p.add_argument("--currency", choices=list(fmt.CURRENCIES), type=str.upper,
                   default=settings.read("LOYALTY_CURRENCY"),
                   help="currency of the amounts, for the symbol in texts and .xlsx formats (default: JPY)")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("score", help="score customers and write one row per customer")
    s.add_argument("inputs", nargs="*", metavar="INPUT", help="transaction and/or customer files")
    s.add_argument("--source", metavar="URL",
                   help="aggregate where the data lives: duckdb:///path/file.parquet|.csv|.duckdb, a file path, "
                        "or a warehouse URL (postgres://…, bigquery://…, snowflake://…); scoring runs here")
    s.add_argument("--table", metavar="NAME", help="table to read from --source (required for databases)")
    s.add_argument("--definition", metavar="FILE", help="definition JSON (as saved by the app)")
    s.add_argument("--preset", choices=list(defn.PRESETS), help="preset definition (default: b2c)")
    s.add_argument("--as-of", metavar="YYYY-MM-DD", help="as-of date (default: latest order date)")
    s.add_argument("--kind", choices=["transactions", "customers"], help="treat every input as this kind")
    s.add_argument("--map", action="append", default=[], metavar="ROLE=COLUMN",
                   help="map a column to a role (repeatable), e.g. --map order_date=注文日")
    s.add_argument("--sheet", metavar="NAME", help="sheet of Excel inputs (default: first with data)")
    s.add_argument("--drop-duplicates", action="store_true", help="drop exact duplicate rows")
    s.add_argument("--output", metavar="FILE", help="FILE.csv (UTF-8 with BOM) or FILE.xlsx; default: CSV to stdout")
    _workspace_options(s, "score the files of the app's workspace NAME with its mapping, currency and working "
                          "definition (--definition/--preset/--as-of override the definition)")

    for command in (s,):
        _recency_option(command)

    d = sub.add_parser("definition", help="print a definition as JSON")
    d.add_argument("--preset", choices=list(defn.PRESETS), default="b2c")

    q = sub.add_parser("quality", help="print the quality report of input files")
    q.add_argument("inputs", nargs="*", metavar="INPUT")
    q.add_argument("--json", action="store_true", help="print JSON")
    q.add_argument("--kind", choices=["transactions", "customers"])
    q.add_argument("--map", action="append", default=[], metavar="ROLE=COLUMN")
    q.add_argument("--sheet", metavar="NAME")
    q.add_argument("--drop-duplicates", action="store_true")
    _recency_option(q)
    _workspace_options(q, "the quality report of the files of the app's workspace NAME, read and mapped as there")

    c = sub.add_parser("clv", help="fit a lifetime model (purchases: BG/NBD, Pareto/NBD, MBG/NBD + Gamma-Gamma; "
                                   "contracts: sBG) and predict customer lifetime value")
    c.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="transactions; for --model sbg one table of period, survivors or of contract lines "
                        "(customer, start, end[, payment])")
    c.add_argument("--model", choices=list(CLV_MODELS), default=CLV_MODELS[0],
                   help=f"lifetime model (default: {CLV_MODELS[0]}; sbg = contract renewals)")
    c.add_argument("--calibration-end", metavar="YYYY-MM-DD")
    c.add_argument("--time-unit", choices=["days", "weeks"], default="weeks")
    c.add_argument("--horizon-months", type=int, default=12)
    c.add_argument("--monthly-discount-rate", type=float, default=0.01)
    c.add_argument("--penalizer", type=float, default=0.0,
                   help="L2 regularisation of the fit; when the fit does not converge it is retried with "
                        "0.001, then 0.01 (a note on stderr says so)")
    c.add_argument("--no-auto-penalizer", dest="auto_penalizer", action="store_false",
                   help="fail instead of retrying with a larger penalizer")
    c.add_argument("--as-of", metavar="YYYY-MM-DD",
                   help="sbg with contract lines: the day they describe (default: the latest start or end date)")
    c.add_argument("--period-months", type=int, default=12,
                   help="sbg: months per contract period (default: 12; 1 = monthly); counts the renewals of "
                        "contract lines and turns --monthly-discount-rate into a rate per period for DERL")
    c.add_argument("--json", action="store_true", help="print the fitted parameters as JSON")
    c.add_argument("--output", metavar="FILE", help="write per-customer (sbg: per-contract) values (CSV or XLSX)")
    c.add_argument("--map", action="append", default=[], metavar="ROLE=COLUMN")
    c.add_argument("--sheet", metavar="NAME")
    _effect_parser(sub)
    for command in (s, q, c):
        # also after the command (`score x.csv --currency GBP`); it then wins over the global one
        command.add_argument("--currency", choices=list(fmt.CURRENCIES), type=str.upper, default=argparse.SUPPRESS,
                             help="as the global --currency")
    _movement_parser(sub)
    return p


def _recency_option(command) -> None:
    command.add_argument("--recency-unit", choices=["days", "weeks", "months"],
                         help="unit of a customer table's recency column (default: what its header says, else a "
                              "guess from its values: never above 12 = months, never above 52 = weeks, with a note "
                              "on stderr)")


def _workspace_options(command, text: str) -> None:
    command.add_argument("--workspace", metavar="NAME", help=text)
    command.add_argument("--owner", metavar="EMAIL",
                         help="with --workspace on a hosted store: whose workspace (default: the app run without login)")


def _effect_parser(sub) -> None:
    e = sub.add_parser("effect", help="campaign effect: treated vs held-out control, overall and per segment")
    e.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="the table with the group column (one row per customer), plus transaction/customer files")
    e.add_argument("--group", required=True, metavar="COLUMN", help="column with each customer's group")
    e.add_argument("--control", required=True, metavar="VALUE", help="the held-out control group's value")
    e.add_argument("--outcome", required=True, metavar="COLUMN",
                   help="outcome column (0/1 or an amount), or visit|conversion|spend from the transactions")
    e.add_argument("--by", metavar="tier|segment|COLUMN", help="break down by tier, RFM segment or a column")
    e.add_argument("--days", type=int, help="days after the send date counted for visit/conversion/spend "
                                           "(default: 30, loyalty.effect.DEFAULT_DAYS)")
    e.add_argument("--send-date", metavar="YYYY-MM-DD", help="one send date for everyone (default: a send-date column)")
    e.add_argument("--id-column", metavar="COLUMN", help="customer id column (default: detected; none = one row each)")
    e.add_argument("--definition", metavar="FILE", help="definition JSON for --by tier|segment")
    e.add_argument("--preset", choices=list(defn.PRESETS), help="preset definition for --by tier|segment")
    e.add_argument("--json", action="store_true", help="print JSON")
    e.add_argument("--map", action="append", default=[], metavar="ROLE=COLUMN")
    e.add_argument("--sheet", metavar="NAME")


#: How often ``movement`` can end a period (the keys of loyalty.movement.EVERY, written
#: here so that parsing the command line does not import the scoring code).
MOVEMENT_EVERY = ("month", "week", "quarter")


def _movement_parser(sub) -> None:
    """The ``movement`` sub-command's options."""
    m = sub.add_parser(
        "movement", help="tiers at every month, week or quarter end and who moved between them",
        description="Score every customer at each period end (the last day of each month, ISO week or quarter, "
                    "the last period ending at the as-of date) from the lines dated up to it, with the same "
                    "definition, and count who moved between consecutive period ends.",
        epilog="Customer-table factors (NPS, engagement, ...) have no history: they are taken as they are today "
               "at every period end.")
    m.add_argument("inputs", nargs="+", metavar="INPUT", help="transaction files (and a customer table)")
    m.add_argument("--every", choices=list(MOVEMENT_EVERY), default="month", help="period length (default: month)")
    m.add_argument("--periods", type=int, default=12, metavar="N",
                   help="how many period ends, the last at the as-of date (default: 12)")
    m.add_argument("--definition", metavar="FILE", help="definition JSON (as saved by the app)")
    m.add_argument("--preset", choices=list(defn.PRESETS), help="preset definition (default: b2c)")
    m.add_argument("--as-of", metavar="YYYY-MM-DD", help="the last period end (default: latest order date)")
    m.add_argument("--json", action="store_true",
                   help='print {"periods": [{"as_of", "tiers": {"top", "middle", "low"}, ...}], '
                        '"flows": [{"from_as_of", "to_as_of", "from", "to", "customers"}, ...]}')
    m.add_argument("--map", action="append", default=[], metavar="ROLE=COLUMN")
    m.add_argument("--sheet", metavar="NAME")
    m.add_argument("--drop-duplicates", action="store_true")
    m.add_argument("--currency", choices=list(fmt.CURRENCIES), type=str.upper, default=argparse.SUPPRESS,
                   help="as the global --currency")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    try:
        parser = _parser()
        debug = settings.read("LOYALTY_DEBUG")
    except LoyaltyError as exc:  # a LOYALTY_* environment variable with a wrong value
        print(exc.message("ja"), file=sys.stderr)
        return EXIT_USER_ERROR
    args = parser.parse_args(argv)
    words = sys.argv[1:] if argv is None else list(argv)
    args.currency_given = any(w == "--currency" or w.startswith("--currency=") for w in words) or \
        settings.is_set("LOYALTY_CURRENCY")
    lang = args.lang
    fmt.use_currency(args.currency)
    try:
        return _COMMANDS[args.command](args, lang)
    except LoyaltyError as exc:
        print(exc.message(lang), file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception:  # an unexpected failure: a bug, not the user's doing
        if debug:
            traceback.print_exc()
        print(t("error.internal", lang), file=sys.stderr)
        return EXIT_INTERNAL


# ---------------------------------------------------------------------------


def _parse_maps(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        if "=" not in item:
            raise error("error.bad_map_option", value=item)
        role, col = item.split("=", 1)
        out[role.strip()] = col.strip()
    return out


def _parse_date(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise error("error.bad_date_option", option=option, value=value) from None


def _inputs(paths: list[str], *, kind: str | None, maps: dict[str, str], sheet: str | None,
            recency_unit: str | None = None):
    from loyalty.mapping import role_specs
    from loyalty.pipeline import InputFile

    files = []
    for path in paths:
        p = Path(path)
        if not p.is_file():
            raise error("error.file_not_found", file=str(path))
        files.append(InputFile(name=p.name, data=p.read_bytes(), sheet=sheet, kind=kind, recency_unit=recency_unit))
    if maps:
        from loyalty.pipeline import read_inputs

        infos = read_inputs(files)
        tx_roles = {s.role for s in role_specs("transactions")}
        cu_roles = {s.role for s in role_specs("customers")}
        used = set()
        for f, info in zip(files, infos):
            kind = info.kind
            if f.kind is None and any(r in tx_roles - cu_roles for r in maps):
                kind = f.kind = "transactions"
            known = {s.role for s in role_specs(kind)}
            chosen = {r: c for r, c in maps.items() if r in known and c in info.raw.frame.columns}
            used |= set(chosen)
            f.overrides = chosen
        for role, col in maps.items():
            if role not in used:
                raise error("error.map_not_applied", role=role, column=col)
    return files


def _load(args, today: date | None = None, lang: str = "ja"):
    """Read the inputs into a dataset; what a user should know about them goes to stderr
    (a file left out as a copy of another, a recency unit guessed, cells left blank, …)."""
    from loyalty.pipeline import dataset_notes, load_dataset

    if getattr(args, "workspace", None):
        return _workspace(args, today)[0]
    if not args.inputs:
        raise error("error.perf_no_input")
    files = _inputs(args.inputs, kind=getattr(args, "kind", None), maps=_parse_maps(args.map),
                    sheet=args.sheet, recency_unit=getattr(args, "recency_unit", None))
    dataset = load_dataset(files, drop_duplicates=getattr(args, "drop_duplicates", False), today=today,
                           currency=args.currency)
    for key, values in dataset_notes(dataset):
        print(t(key, lang, **values), file=sys.stderr)
    return dataset


def _workspace(args, today: date | None = None):
    """``--workspace NAME``: the workspace's files read and mapped as in the app.

    Returns:
        ``(dataset, working definition or None)``; the workspace's currency is
        applied unless ``--currency`` (or ``LOYALTY_CURRENCY``) says otherwise.

    Raises:
        LoyaltyError: combined with inputs or mapping options, no such workspace,
            or its files cannot be read.
    """
    from loyalty.pipeline import assemble
    from loyalty.workspaces import by_name, definition_from_items, open_store, read_tables, store_dir
    from loyalty.workspaces.location import STORE_FILE

    if args.inputs or getattr(args, "source", None) or getattr(args, "table", None) or args.map \
            or getattr(args, "kind", None) or args.sheet:
        raise error("workspace.error.cli_mix")
    folder = store_dir()
    if not (folder / STORE_FILE).exists():  # never make a store just to say it is empty
        raise error("workspace.error.none", name=args.workspace, folder=str(folder))
    store = open_store(folder)
    content = by_name(store, args.owner, args.workspace)
    infos = read_tables(store, args.owner, content)
    if not infos:
        raise error("workspace.error.no_files", name=args.workspace)
    if not args.currency_given and content.items.get("currency") in fmt.CURRENCIES:
        fmt.use_currency(content.items["currency"])
    drop = bool(args.drop_duplicates or content.items.get("drop_duplicates"))
    dataset = assemble(infos, drop_duplicates=drop, today=today)
    return dataset, definition_from_items(content.items, file=args.workspace)


def cmd_definition(args, lang: str) -> int:
    sys.stdout.write(defn.preset(args.preset).to_json())
    return 0


def score_table(dataset, definition: defn.Definition, lang: str = "ja") -> pd.DataFrame:
    """The per-customer output of ``score``: keys as column names (DESIGN §5)."""
    from loyalty.pipeline import build_features

    features = build_features(dataset, as_of=definition.as_of, window_days=definition.window_days)
    return score_features(features, definition, lang)


def score_features(features, definition: defn.Definition, lang: str = "ja") -> pd.DataFrame:
    """The per-customer output of ``score`` for ready-made features (keys as column names)."""
    from loyalty.ltv import customer_ltv
    from loyalty.scoring import Scorer
    from loyalty.summary import customer_table

    result = Scorer(features.frame).score(definition)
    return customer_table(features.frame, result.frame, definition, lang, ltv=customer_ltv(features.frame))


def _definition(args, fallback: defn.Definition | None = None) -> defn.Definition:
    """The definition a command scores with: ``--definition FILE`` or ``--preset``, else
    ``fallback`` (a workspace's working definition), else the BtoC preset.

    Raises:
        LoyaltyError: both were given, or the file cannot be loaded.
    """
    if args.definition and args.preset:
        raise error("error.definition_and_preset")
    if args.definition:
        return defn.load(args.definition)
    return defn.preset(args.preset) if args.preset else fallback or defn.preset("b2c")


def cmd_score(args, lang: str) -> int:
    dataset = kept = None
    if args.workspace:
        dataset, kept = _workspace(args)
    d = _definition(args, kept)
    as_of = _parse_date(args.as_of, "--as-of")
    if as_of is not None:
        d = d.copy(as_of=as_of)
    if dataset is not None:
        table = score_table(dataset, d, lang)
    elif args.source:
        if args.inputs:
            raise error("error.perf_source_and_inputs")
        table = _score_source(args, d, lang)
    else:
        if not args.inputs:
            raise error("error.perf_no_input")
        dataset = _load(args, lang=lang)
        table = score_table(dataset, d, lang)
    _write_table(table, args.output, sheet_name="scores", lang=lang)
    return 0


def _score_source(args, d: defn.Definition, lang: str) -> pd.DataFrame:
    """``score --source URL --table NAME``: features computed by the source's engine."""
    from loyalty import warehouse

    with warehouse.open_source(args.source, args.table) as source:
        mapping = warehouse.source_mapping(source, _parse_maps(args.map) or None)
        result = warehouse.warehouse_features(source, mapping, as_of=d.as_of, window_days=d.window_days)
    return score_features(result.features, d, lang)


def _write_table(table: pd.DataFrame, output: str | None, *, sheet_name: str, lang: str) -> None:
    from loyalty import export

    if output is None:
        sys.stdout.buffer.write(export.csv_bytes(table).data)
        return
    path = Path(output)
    if path.suffix.lower() == ".xlsx":
        from loyalty.columns import excel_sheet

        path.write_bytes(export.excel_bytes([excel_sheet(table, sheet_name, lang)]))
    elif path.suffix.lower() in (".csv", ".txt", ""):
        path.write_bytes(export.csv_bytes(table).data)
    else:
        raise error("error.bad_output", file=path.name)


def cmd_quality(args, lang: str) -> int:
    dataset = _load(args, lang=lang)
    report = {}
    if dataset.transactions is not None:
        report["transactions"] = dataset.transactions.report.to_dict()
    if dataset.customers is not None:
        report["customers"] = dataset.customers.report()
    report["ignored_files"] = dataset.ignored
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
        return 0
    from loyalty.quality import EXCLUSION_ORDER

    if "transactions" in report:
        r = report["transactions"]
        print(t("cli.quality.header", lang))
        print(t("cli.quality.balance", lang, read=r["rows_read"], used=r["rows_used"], excluded=r["rows_excluded"]))
        for key in EXCLUSION_ORDER:
            print(t("cli.quality.reason", lang, reason=t(f"reason.{key}", lang), count=r["excluded_by_reason"][key]))
        print(t("cli.quality.duplicates", lang, count=r["duplicates"],
                action=t("quality.dup_dropped" if r["duplicates_dropped"] else "quality.dup_kept", lang)))
        print(t("cli.quality.returns", lang, count=r["returns"], amount=f"{r['returns_amount']:,.0f}"))
        if r["sign_flipped"]:
            print(t("data.q.sign_flipped", lang, count=f"{r['sign_flipped']:,}"))
        if r["zero_amount"]:
            print(t("data.q.zero_amount", lang, count=f"{r['zero_amount']:,}"))
        if r["fee_lines"]:
            print(t("rel.quality.fee_lines", lang, count=r["fee_lines"]))
        for f in r["files"]:
            print(t("cli.quality.file", lang, file=f["file"], read=f["rows_read"], used=f["rows_used"],
                    excluded=f["rows_excluded"], encoding=f["encoding"] or f.get("sheet") or "-"))
            for note in f.get("notes", []):
                print("    " + t(note["key"], lang, **note["values"]))
    if "customers" in report:
        c = report["customers"]
        print(t("cli.quality.customers", lang, file=c["file"], read=c["rows_read"], used=c["rows_used"],
                excluded=c["rows_excluded"]))
        for key, count in c["excluded_by_reason"].items():
            if count:
                print(t("cli.quality.customers_reason", lang, reason=t(f"reason.{key}", lang), count=count))
    return 0


def _text(exc: LoyaltyError, lang: str) -> str:
    """An error's message in ``lang`` without its location (for a reason quoted in a note)."""
    return exc.ja if lang == "ja" else exc.en


def cmd_clv(args, lang: str) -> int:
    from loyalty import clv

    if args.model in clv.CONTRACT_MODELS:
        return _clv_contracts(args, lang)
    dataset = _load(args, lang=lang)
    if dataset.transactions is None:
        raise error("clv.error.needs_transactions")
    result = clv.run(dataset.transactions.frame, model=args.model,
                     calibration_end=_parse_date(args.calibration_end, "--calibration-end"),
                     time_unit=args.time_unit, horizon_months=args.horizon_months,
                     monthly_discount_rate=args.monthly_discount_rate, penalizer=args.penalizer,
                     auto_penalizer=args.auto_penalizer)
    choice = result.penalizer
    if choice.reason is not None:
        print(t("clv.cli.penalizer_used", lang, requested=f"{choice.requested:g}", used=f"{choice.used:g}",
                reason=_text(choice.reason, lang)), file=sys.stderr)
    if result.gamma_gamma_reason is not None:
        print(t("clv.cli.no_spend_model", lang, reason=_text(result.gamma_gamma_reason, lang)), file=sys.stderr)
    if args.output:
        _write_table(result.customers.reset_index(drop="customer_id" in result.customers.columns),
                     args.output, sheet_name="clv", lang=lang)
    if args.json or not args.output:
        print(json.dumps(result.params_dict(), ensure_ascii=False, indent=2))
    return 0


def _clv_contracts(args, lang: str) -> int:
    """``clv --model sbg``: the sBG fit of a survivors table or of contract lines."""
    from loyalty.clv import contracts
    from loyalty.readers import read_path

    if len(args.inputs) != 1:
        raise error("clv.error.sbg_one_input", count=len(args.inputs))
    raw = read_path(args.inputs[0], sheet=args.sheet)
    table = contracts.read_contract_table(raw.frame, name=raw.name, row_numbers=raw.row_numbers,
                                          as_of=_parse_date(args.as_of, "--as-of"), period_months=args.period_months)
    cfit = contracts.fit_contracts(table, penalizer=args.penalizer, auto_penalizer=args.auto_penalizer)
    choice = cfit.penalizer
    if choice.reason is not None:
        print(t("clv.cli.penalizer_used", lang, requested=f"{choice.requested:g}", used=f"{choice.used:g}",
                reason=_text(choice.reason, lang)), file=sys.stderr)
    if args.output:
        rate = contracts.period_rate(args.monthly_discount_rate, table.period_months)
        _write_table(contracts.contract_values(cfit, rate), args.output, sheet_name="sbg", lang=lang)
    if args.json or not args.output:
        print(json.dumps(cfit.params_dict(), ensure_ascii=False, indent=2))
    return 0


def cmd_effect(args, lang: str) -> int:
    from loyalty import campaign

    d = _definition(args)
    result = campaign.run(_inputs(args.inputs, kind=None, maps=_parse_maps(args.map), sheet=args.sheet),
                          group=args.group, control=args.control, outcome=args.outcome, by=args.by,
                          days=args.days, send_date=_parse_date(args.send_date, "--send-date"),
                          id_column=args.id_column, definition=d, lang=lang)
    for key, values in result.notes:
        print(t(key, lang, **values), file=sys.stderr)
    if args.json:
        print(json.dumps(result.effect.to_dict(), ensure_ascii=False, indent=2))
    else:
        print("\n".join(campaign.text_lines(result, lang)))
    return 0


def cmd_movement(args, lang: str) -> int:
    from loyalty import movement

    d = _definition(args)
    as_of = _parse_date(args.as_of, "--as-of") or d.as_of
    dataset = _load(args, lang=lang)
    if dataset.transactions is None:
        raise error("movement.error.needs_transactions")
    periods = movement.data_period_ends(dataset.transactions, as_of, args.every, args.periods)
    result = movement.compute(movement.Timeline(dataset.transactions, dataset.customers), d, periods, args.every)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(movement.text_report(result, d, lang))
    return 0


_COMMANDS = {"definition": cmd_definition, "score": cmd_score, "quality": cmd_quality, "clv": cmd_clv,
             "effect": cmd_effect, "movement": cmd_movement}
