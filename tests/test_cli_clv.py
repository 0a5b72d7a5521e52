"""``python -m loyalty clv --model bgnbd|pareto|mbgnbd|sbg``: the JSON contract (DESIGN §5),
the per-customer / per-contract output, the penalizer note and the refusals (exit 2).

Golden figures: Pareto/NBD on the CDNOW sample (Fader, Hardie & Lee 2005; lifetimes gives
the same): r 0.553, alpha 10.578, s 0.606, beta 11.668; sBG on the regular customers of
Fader & Hardie (2007): alpha 0.704, beta 1.182, LL -1680.27.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
CDNOW = [str(DATA / "cdnow_sample.txt"), "--map", "customer_id=列1", "--map", "order_date=列3",
         "--map", "quantity=列4", "--map", "amount=列5", "--calibration-end", "1997-09-30"]
SURVIVORS = str(DATA / "sbg_regular_survivors.csv")


@dataclass
class Result:
    """What a run of the command line left: exit status, standard output and error (bytes, as a process)."""

    returncode: int
    stdout: bytes
    stderr: bytes


@pytest.fixture
def run(capsys):
    """``run(*args)``: ``python -m loyalty *args`` in this process (loyalty.cli.main, as __main__ calls it)."""
    from loyalty.cli import main

    def call(*args) -> Result:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return Result(code, out.encode("utf-8"), err.encode("utf-8"))

    return call


def test_sbg_on_the_papers_survivors_prints_alpha_beta_and_loglik(run):
    res = run("clv", SURVIVORS, "--model", "sbg", "--json")
    assert res.returncode == 0, res.stderr.decode()
    out = json.loads(res.stdout)
    assert list(out) == ["sbg"] and list(out["sbg"]) == ["alpha", "beta", "loglik"]
    assert (round(out["sbg"]["alpha"], 3), round(out["sbg"]["beta"], 3), round(out["sbg"]["loglik"], 2)) == \
        (0.704, 1.182, -1680.27)
    assert res.stderr == b""  # no penalizer was needed


def test_sbg_output_gives_each_period_its_projection_and_derl(run, tmp_path):
    from loyalty.clv import sbg

    out = tmp_path / "sbg.csv"
    res = run("clv", SURVIVORS, "--model", "sbg", "--output", str(out), "--monthly-discount-rate", "0.008")
    assert res.returncode == 0 and res.stdout == b""
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert table.columns.tolist() == ["period", "survivors", "projected", "retention", "derl"]
    f = sbg.fit_survivors([1000, 631, 468, 382, 326, 289, 262, 241])
    np.testing.assert_allclose(table["derl"], sbg.derl(f, np.arange(8), 1.008**12 - 1), rtol=1e-9)
    assert table["projected"].round().astype(int).tolist() == [1000, 627, 474, 388, 332, 292, 262, 239]


def test_sbg_on_contract_lines_in_cp932_writes_renewals_derl_and_residual_value(run, tmp_path):
    lines = ("契約番号,開始日,解約日,月額\n"
             + "".join(f"K{i:03d},2023/01/{1 + i % 28:02d},{'2023/%02d/15' % (2 + i % 9) if i % 3 else ''},"
                       f"{10000 + 100 * i}\n" for i in range(60)))
    src = tmp_path / "契約.csv"
    src.write_bytes(lines.encode("cp932"))
    out = tmp_path / "contracts.csv"
    res = run("clv", str(src), "--model", "sbg", "--period-months", "1", "--as-of", "2023-12-31",
              "--json", "--output", str(out))
    assert res.returncode == 0, res.stderr.decode()
    fit = json.loads(res.stdout)["sbg"]
    table = pd.read_csv(out, encoding="utf-8-sig")
    assert table.columns.tolist() == ["customer_id", "start", "end", "active", "renewals", "payment", "derl",
                                      "residual_value"]
    assert table["customer_id"].iloc[0] == "K000" and len(table) == 60
    # K001 started 2023-01-02 and cancelled 2023-03-15: renewed on 2 Feb and 2 Mar
    assert table.loc[1, ["active", "renewals"]].tolist() == [False, 2]
    # K000 (no end date) renews on the 1st of every month: 11 renewals by 31 Dec
    assert table.loc[0, ["active", "renewals"]].tolist() == [True, 11]
    from loyalty.clv import sbg

    f = sbg.SBGFit(alpha=fit["alpha"], beta=fit["beta"], loglik=fit["loglik"], n_customers=60, n_cancelled=40)
    derl0 = float(sbg.derl(f, 11, 0.01))
    assert table.loc[0, "residual_value"] == pytest.approx(10000 * derl0, rel=1e-9)
    assert table.loc[1, "residual_value"] == 0.0


def test_pareto_on_cdnow_prints_the_published_parameters_under_its_own_key(run):
    res = run("clv", *CDNOW, "--model", "pareto", "--json")
    assert res.returncode == 0, res.stderr.decode()
    out = json.loads(res.stdout)
    assert list(out) == ["pareto_nbd", "gamma_gamma"]
    p = out["pareto_nbd"]
    assert list(p) == ["r", "alpha", "s", "beta", "loglik"]
    assert (round(p["r"], 3), round(p["alpha"], 3), round(p["s"], 3)) == (0.553, 10.578, 0.606)
    # beta is the least determined parameter (standard error 6.2); its maximum is 11.6687
    assert abs(p["beta"] - 11.668) < 1e-3
    assert round(p["loglik"], 1) == -9595.0
    assert [round(out["gamma_gamma"][k], 2) for k in ("p", "q", "gamma")] == [6.25, 3.74, 15.44]


def test_mbgnbd_on_cdnow_prints_its_parameters_and_per_customer_values(run, tmp_path):
    out = tmp_path / "mbg.csv"
    res = run("clv", *CDNOW, "--model", "mbgnbd", "--json", "--output", str(out))
    assert res.returncode == 0, res.stderr.decode()
    fit = json.loads(res.stdout)
    assert list(fit) == ["mbgnbd", "gamma_gamma"] and list(fit["mbgnbd"]) == ["r", "alpha", "a", "b", "loglik"]
    assert [round(fit["mbgnbd"][k], 4) for k in ("r", "alpha", "a", "b")] == [0.5248, 6.1831, 0.8914, 1.614]
    table = pd.read_csv(out, encoding="utf-8-sig", dtype={"customer_id": "str"})
    assert len(table) == 2357 and table.columns.tolist() == [
        "customer_id", "frequency", "recency", "T", "monetary_value", "p_alive", "expected_purchases",
        "expected_avg_value", "clv"]
    once = table["frequency"] == 0
    assert table.loc[once, "p_alive"].max() < 1.0  # unlike BG/NBD, one-time buyers may have left
    assert round(table.loc[once, "p_alive"].mean(), 3) == 0.409


@pytest.mark.slow
@pytest.mark.parametrize("model", ["pareto", "mbgnbd", "bgnbd"])
def test_every_purchase_model_reports_the_automatic_penalizer(run, model):
    sample = str(ROOT / "sample_data" / "orders_cp932.csv")
    res = run("--lang", "en", "clv", sample, "--model", model, "--json")
    assert res.returncode == 0, res.stderr.decode()
    err = res.stderr.decode()
    if model == "mbgnbd":  # MBG/NBD fits the sample without a penalty
        assert err == ""
    else:
        name = {"pareto": "Pareto/NBD", "bgnbd": "BG/NBD"}[model]
        assert err.startswith("The fit needed regularisation: penalizer 0.001 was used instead of 0 "
                              f"(reason: The {name} model cannot be fitted")


@pytest.mark.parametrize(("args", "words"), [
    (["clv", SURVIVORS, SURVIVORS, "--model", "sbg"], "exactly one file"),
    (["clv", str(ROOT / "sample_data" / "orders_cp932.csv"), "--model", "sbg"], "not a contract table"),
    (["clv", SURVIVORS, "--model", "sbg", "--penalizer", "-1"], "penalizer must be a number >= 0"),
])
def test_sbg_refusals_exit_2_with_a_message_and_no_traceback(run, args, words):
    res = run("--lang", "en", *args)
    assert res.returncode == 2
    assert words in res.stderr.decode() and "Traceback" not in res.stderr.decode()
    assert res.stdout == b""


def test_a_survivors_table_that_grows_is_refused_naming_its_row(run, tmp_path):
    src = tmp_path / "grows.csv"
    src.write_text("期間,継続人数\n0,1000\n1,631\n2,700\n", encoding="utf-8")
    res = run("--lang", "en", "clv", str(src), "--model", "sbg")
    assert res.returncode == 2
    assert res.stderr.decode().startswith("file 'grows.csv', row 4, column 'survivors'")
