"""compare explains itself: where a difference comes from (by sector, funding source and
stage), whether it is a timing shift, and the sign of every year whose interval excludes 0.

The breakdown rows of ``comparison.csv`` are the same paired statistics as the headline
rows, computed from the replications' own columns; the sectors (and the sources) with
the background add up to the investment difference exactly, in every period.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import investsim
from helpers import LIBRARY
from investsim.analyses.compare import (
    COLUMNS,
    Comparison,
    Run,
    compare_runs,
    compare_scenarios,
    plan_comparison,
    run_comparison,
)
from investsim.analyses.explain import explain, explanation_lines
from investsim.analyses.timing import detect_timing_shift
from investsim.cli import cli
from investsim.results.stats import paired_difference
from test_financing_mechanisms import _pipeline

SEED = 2019


def _scenarios(tmp_path: Path) -> tuple[Path, Path]:
    """The Liaoyuan baseline and its guarantee pool, both with investment outside the
    modelled projects (so that the background is a part of the sums), 6 years."""
    extra = "horizon_years: 6\nbackground: {level: 40, growth: {dist: uniform, low: 0.0, high: 0.06}}\n"
    paths = []
    for name in ("baseline", "guarantee_pool"):
        path = tmp_path / f"{name}.yaml"
        path.write_text(f"extends: {LIBRARY / (name + '.yaml')}\n{extra}", encoding="utf-8")
        paths.append(path)
    return paths[0], paths[1]


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, list[Run]]:
    base, other = _scenarios(tmp_path_factory.mktemp("explain"))
    return compare_scenarios(base, [other], replications=8, seed=SEED, window=(2020, 2021))


def test_sectors_and_sources_add_up_to_the_investment_difference(
    pool: tuple[pd.DataFrame, list[Run]],
) -> None:
    table, runs = pool
    assert list(table.columns) == list(COLUMNS)
    sectors = set(runs[0].replications.filter(like="investment_sector_").columns.str.slice(18))
    assert sectors == {"industry", "infrastructure", "services", "agriculture", "emerging"}
    headline = table[table["breakdown"] == "total"].set_index(["period", "metric"])
    assert set(table[table["breakdown"] == "total"]["item"]) == {"all"}
    for breakdown, expected in (
        ("sector", sectors),
        ("source", {"own", "bank", "government", "bonds", "infrastructure_loans"}),
    ):
        rows = table[(table["breakdown"] == breakdown) & (table["measure"] == "investment")]
        assert set(rows["item"]) == expected | {"background"}
        sums = rows.groupby("period")[["base_mean", "other_mean", "diff_mean"]].sum()
        assert len(sums) == 6 + 2  # six years, the horizon and the window
        for period, r in sums.iterrows():
            total = headline.loc[(period, "investment")]
            for col in ("base_mean", "other_mean", "diff_mean"):
                assert r[col] == pytest.approx(total[col], rel=1e-12, abs=1e-9), (breakdown, period, col)
    # the background is a real part here, and the same in both (common random numbers)
    background = table[(table["item"] == "background") & (table["period"] == "total")]
    assert (background["base_mean"] > 200).all()
    assert (background["diff_mean"] == 0).all()


def test_a_breakdown_row_is_the_paired_difference_of_its_column(pool: tuple[pd.DataFrame, list[Run]]) -> None:
    """Flows are summed over the period, yearly means and year-end counts averaged."""
    table, runs = pool
    base, other = (r.replications.sort_values(["replication", "year"]) for r in runs)
    window = [2020, 2021]
    for metric, how in (
        ("financing_committed_bank", "sum"),
        ("cancelled_financing", "sum"),
        ("financing_wait_months", "mean"),
        ("in_financing_at_year_end", "mean"),
    ):
        for period, years in (("total", sorted(base["year"].unique())), ("2020-2021", window)):

            def per_replication(
                df: pd.DataFrame, col: str = metric, span: list[int] = years, how: str = how
            ) -> np.ndarray:
                values = df[df["year"].isin(span)].groupby("replication")[col]
                return (values.sum() if how == "sum" else values.mean()).to_numpy(dtype=float)

            expected = paired_difference(per_replication(base), per_replication(other))
            row = table[(table["metric"] == metric) & (table["period"] == period)].iloc[0]
            assert row["diff_mean"] == pytest.approx(expected.mean, abs=1e-9)
            assert row["diff_ci_low"] == pytest.approx(expected.low, abs=1e-9)
            assert row["base_mean"] == pytest.approx(per_replication(base).mean(), abs=1e-9)


def test_the_credit_run_explains_itself_by_industry_bank_money_and_financing_waits(
    pool: tuple[pd.DataFrame, list[Run]],
) -> None:
    """The guarantee pool lends to industry and emerging industries: over the horizon
    industry gains most, the bank commits more, and projects wait less in financing."""
    table, runs = pool
    found = explain(table, runs[1].name)
    assert found is not None
    assert abs(found.residual("sector")) < 1e-9
    assert abs(found.residual("source")) < 1e-9
    top, rest = found.largest("sector", "investment")
    assert top[0].item == "industry"
    assert len(top) == 3
    assert len(top) + len(rest) == 6  # five sectors and the background
    assert found.largest("source", "committed")[0][0].item == "bank"
    financing = dict(found.sure_stages())["financing"]
    waits = dict(financing)["months_waited"]
    assert waits.diff < 0
    assert waits.sure
    lines = explanation_lines(found, "亿元")
    assert lines[0].startswith(f"{runs[1].name}: where the +")
    assert "亿元 over the horizon comes from" in lines[0]
    assert lines[1].startswith("  by sector: industry +")
    assert re.search(r"money committed: bank \+\d", lines[3])
    assert re.search(r"financing −\d+\.\d months waited", lines[4])
    assert len(lines) == 5


def _table(parts: dict[str, float], total: float) -> pd.DataFrame:
    """A comparison table of one period with the headline investment and sector parts."""
    rows = [
        {"metric": "investment", "breakdown": "total", "measure": "investment", "item": "all", "d": total}
    ]
    rows += [
        {
            "metric": f"investment_sector_{k}",
            "breakdown": "sector",
            "measure": "investment",
            "item": k,
            "d": v,
        }
        for k, v in parts.items()
    ]
    frame = pd.DataFrame(rows).assign(scenario="s", pairing="paired", period="total")
    return frame.assign(
        base_mean=10.0, other_mean=10.0 + frame["d"], diff_mean=frame["d"], diff_ci_low=frame["d"] - 1
    ).assign(diff_ci_high=lambda f: f["d"] + 1)


def test_the_largest_contributors_are_named_and_the_rest_summed() -> None:
    table = _table({"a": 0.2, "b": -6.0, "c": 4.0, "d": 0.5, "e": 0.0, "background": 0.0}, -1.3)
    found = explain(table, "s")
    assert found is not None
    lines = explanation_lines(found, "亿元")
    # the three largest by size, then what the others add up to (e and the background
    # differ by 0: not named; the background here has money in both, so it is one of them)
    assert lines[1] == "  by sector: b −6.0, c +4.0, d +0.5, the other 3 +0.2"
    assert lines[0] == "s: where the −1.3 亿元 over the horizon comes from (mean differences)"


def test_the_background_is_left_out_where_neither_scenario_has_any() -> None:
    table = _table({"a": 1.0, "background": 0.0}, 1.0)
    table.loc[table["item"] == "background", ["base_mean", "other_mean"]] = 0.0
    found = explain(table, "s")
    assert found is not None
    assert [p.item for p in found.of("sector", "investment")] == ["a"]


def test_a_sector_only_one_scenario_has_counts_as_zero_in_the_other() -> None:
    def frame(sectors: dict[str, list[float]]) -> pd.DataFrame:
        rows = []
        for r in range(3):
            row = {"replication": r, "year": 2020, "starts": 1, "completions": 0, "growth": np.nan}
            values = {f"investment_sector_{k}": v[r] for k, v in sectors.items()}
            rows.append(row | values | {"investment": sum(values.values())})
        return pd.DataFrame(rows)

    base = frame({"a": [1.0, 2.0, 3.0]})
    other = frame({"a": [1.0, 2.0, 4.0], "new": [2.0, 2.0, 3.0]})
    table = compare_runs(Run("b", 1, base), [Run("o", 1, other)])
    new = table[(table["item"] == "new") & (table["period"] == "total")].iloc[0]
    assert new["base_mean"] == 0
    assert new["diff_mean"] == pytest.approx(7 / 3)
    parts = table[(table["breakdown"] == "sector") & (table["period"] == "total")]["diff_mean"].sum()
    total = table[(table["metric"] == "investment") & (table["period"] == "total")]["diff_mean"].iloc[0]
    assert parts == pytest.approx(total)


def _backlog_table(tmp_path: Path, base_credit: float | None, other_credit: float | None) -> pd.DataFrame:
    """Three replications (all alike: the pipeline is deterministic) of the backlog of
    docs/model.md 5.9 with a bank of 15 a year, each side with credit from 2020 or not."""
    runs = [
        Run(name, 1, investsim.simulate(_pipeline(tmp_path, 15, credit).scenario, 3, 1).replications)
        for name, credit in (("base", base_credit), ("other", other_credit))
    ]
    return compare_runs(runs[0], runs[1:])


def test_a_backlog_brought_forward_is_a_timing_shift_with_equal_cumulative_starts(tmp_path: Path) -> None:
    """Starts 15 a year against 35 then 10: by 2024 both have started the same 110."""
    shift = detect_timing_shift(_backlog_table(tmp_path, None, 40), "other")
    assert shift is not None
    assert shift.direction == "earlier"
    assert shift.complete
    assert (shift.starts_peak, shift.starts_peak_at, shift.starts_final) == (20.0, 2020, 0.0)
    assert shift.caught_up is None  # all of them: nothing is a gain
    assert (
        "cumulative starts are the same by 2026, +0.0 (+0.0 to +0.0): the same projects start, only earlier"
        in (shift.text())
    )
    # the mirror image: the credit run as the base
    later = detect_timing_shift(_backlog_table(tmp_path, 40, None), "other")
    assert later is not None
    assert later.direction == "later"
    assert later.complete
    assert later.text().startswith(
        "timing shift: investment comes later. Below the base from 2020, above it in "
    )
    assert ": other then starts projects the base has already started." in later.text()
    assert "bottoms out at -15.0 in 2020 and is +0.0 by 2026" in later.text()


def test_a_timing_shift_with_more_starts_left_says_how_many_are_caught_up() -> None:
    """A made-up comparison: +10 then -4 a year in investment, starts +8 then -3 a year,
    the horizon's starts +2 (+1 to +3): 6 of the 8 brought forward are caught up."""
    rows = []
    for year, inv, starts in ((2020, 10.0, 8.0), (2021, -4.0, -3.0), (2022, -4.0, -3.0)):
        for metric, d in (("investment", inv), ("starts", starts)):
            rows.append(
                {
                    "period": str(year),
                    "metric": metric,
                    "diff_mean": d,
                    "diff_ci_low": d - 1,
                    "diff_ci_high": d + 1,
                }
            )
    rows.append(
        {"period": "total", "metric": "starts", "diff_mean": 2.0, "diff_ci_low": 1.0, "diff_ci_high": 3.0}
    )
    table = pd.DataFrame(rows).assign(scenario="s", breakdown="total")
    shift = detect_timing_shift(table, "s")
    assert shift is not None
    assert not shift.complete
    assert shift.caught_up == pytest.approx(6.0)
    assert (
        "cumulative starts differ by +2.0 (+1.0 to +3.0) by 2022, after +8.0 by 2020: 6.0 of those "
        "projects are caught up by 2022, 2.0 are a gain so far"
    ) in shift.text()
    # a lasting gain with no year below the base is no timing shift
    table.loc[table["metric"] == "investment", ["diff_mean", "diff_ci_low", "diff_ci_high"]] = [5.0, 4.0, 6.0]
    assert detect_timing_shift(table, "s") is None


def test_compare_prints_signed_years_and_the_largest_contributors(tmp_path: Path) -> None:
    base, other = _scenarios(tmp_path)
    out = tmp_path / "cmp"
    result = CliRunner().invoke(
        cli,
        ["compare", str(base), str(other), "-n", "8", "--seed", str(SEED), "--jobs", "1", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "comparison.csv", dtype={"period": str})
    inv = table[(table["metric"] == "investment") & table["period"].str.isdigit()]
    sure = inv[(inv["diff_ci_low"] > 0) | (inv["diff_ci_high"] < 0)]
    assert len(sure), "the guarantee pool surely raises investment in its first years"
    first = sure.iloc[0]
    assert f"{first['period']} {'+' if first['diff_mean'] > 0 else '−'}," in result.output
    assert "where the +" in result.output
    assert "by sector: industry" in result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["explanation"]["liaoyuan-guarantee-pool"][1].startswith("  by sector: industry")


def test_the_report_explains_the_difference_in_english_and_chinese(tmp_path: Path) -> None:
    from investsim.reporting import fonts

    base, other = _scenarios(tmp_path)
    out = tmp_path / "cmp"
    comparison = investsim_compare(base, other, out)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Where the difference comes from: liaoyuan-guarantee-pool" in html
    assert (out / "charts" / "explanation_1.png").is_file()
    found = comparison.explanation()
    assert found is not None
    industry = next(p for p in found.of("sector", "investment") if p.item == "industry")
    assert f"{industry.diff:+,.1f} (" in html
    if fonts.cjk_font() is None:
        pytest.skip("no CJK font: the Chinese report falls back to English")
    zh = tmp_path / "zh"
    shutil.copytree(out, zh)
    result = CliRunner().invoke(cli, ["report", str(zh), "--lang", "zh"])
    assert result.exit_code == 0, result.output
    html = (zh / "report.html").read_text(encoding="utf-8")
    for words in (
        "差异来源：liaoyuan-guarantee-pool",
        "分行业投资（亿元）",
        "工业",
        "已落实资金",
        "项目平均等待月数",
    ):
        assert words in html


def investsim_compare(base: Path, other: Path, out: Path) -> Comparison:
    """``investsim compare BASE OTHER -n 4`` from Python, saved to ``out``."""
    comparison = run_comparison(plan_comparison(base, [other], replications=4, seed=SEED))
    comparison.save(out)
    return comparison


def test_the_chart_stacks_the_sectors_up_to_each_years_difference(
    pool: tuple[pd.DataFrame, list[Run]],
) -> None:
    from investsim.reporting.charts import explanation_chart
    from investsim.reporting.labels import Labels

    table, runs = pool
    fig = explanation_chart(table, runs[1].name, Labels("en"), "base", unit=True)
    assert fig is not None
    top = fig.axes[0]
    bars: dict[float, list[tuple[float, float]]] = {}
    for patch in top.patches:
        x = round(patch.get_x() + patch.get_width() / 2, 6)
        bars.setdefault(x, []).append((patch.get_y(), patch.get_height()))
    yearly = table[(table["metric"] == "investment") & table["period"].str.isdigit()]
    assert len(bars) == len(yearly)
    for r in yearly.itertuples():
        parts = bars[float(r.period)]
        gains = sum(h for _, h in parts if h > 0)
        losses = sum(h for _, h in parts if h < 0)
        assert gains + losses == pytest.approx(r.diff_mean, abs=1e-9), r.period
        # gains stacked from 0 up, losses from 0 down: the stacks end at their sums
        assert max([0.0, *(y + h for y, h in parts)]) == pytest.approx(gains, abs=1e-9)
        assert min([0.0, *(y + h for y, h in parts)]) == pytest.approx(losses, abs=1e-9)


def test_years_whose_interval_excludes_0_carry_their_sign_in_order() -> None:
    from investsim.analyses.explain import signed_years
    from investsim.cli.printing import _signed_years

    years = pd.DataFrame(
        {
            "period": ["2027", "2020", "2021", "2024"],
            "diff_ci_low": [-9.0, 1.0, 0.5, -3.0],
            "diff_ci_high": [-2.0, 4.0, 2.0, 2.0],
        }
    )
    assert signed_years(years) == [("2020", "+"), ("2021", "+"), ("2027", "−")]
    assert _signed_years(years) == "2020 +, 2021 +, 2027 −"
