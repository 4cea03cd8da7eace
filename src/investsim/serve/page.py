"""The what-if page (NiceGUI): controls on the left, answers on the right, one
:class:`Page` per browser tab.

Each tab has its own control values and its own answers; moving a control cancels the
answers under way for that tab (and drops its replications not started) and starts
again. The simulation runs in the worker processes (:mod:`investsim.serve.workers`);
the page only validates, asks and draws. Charts are ECharts, drawn in the browser from
the copy NiceGUI ships.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import tomllib
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from nicegui import ui

from investsim import columns
from investsim.errors import InputError, ModelCheckError
from investsim.reporting.compare_report import explanation_table, timing_text
from investsim.reporting.html import esc
from investsim.reporting.labels import Labels
from investsim.reporting.wording import NAMES_ZH, TEXT
from investsim.serve.engine import OTHER, Control, ControlError, Question, WhatIf, binding_label
from investsim.serve.workers import results_file


def _wording() -> dict[str, tuple[str, str]]:
    text = resources.files("investsim.serve").joinpath("wording.toml").read_text("utf-8")
    return {k: (v[0], v[1]) for k, v in tomllib.loads(text).items()}


WORDING = _wording()


@dataclass(frozen=True)
class Settings:
    """What every page of one server shares."""

    whatif: WhatIf
    lang: str
    save_dir: Path


class Words:
    """The page's wording in one language."""

    def __init__(self, lang: str, unit: str) -> None:
        self.zh = lang == "zh"
        self.unit = unit

    def __call__(self, key: str, **values: Any) -> str:
        en, zh = WORDING[key]
        return (zh if self.zh else en).format(unit=self.unit, **values)

    def chart(self, key: str, **values: Any) -> str:
        """The reports' chart wording of ``key``."""
        en, zh = TEXT[key]
        return (zh if self.zh else en).format(unit=self.unit, **values)

    def name(self, name: str) -> str:
        """A sector's, source's or stage's name (its Chinese name where known)."""
        return NAMES_ZH.get(name, name) if self.zh else name


def _testid(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", key)


class Page:
    """One browser tab: its controls, its question and its answers."""

    def __init__(self, settings: Settings) -> None:
        self.s = settings
        self.whatif = settings.whatif
        self.w = Words(settings.lang, self.whatif.base.config.money_unit)
        # the compare report's wording, for the explanation; the browser draws the text with
        # its own fonts, so Chinese needs no CJK font for matplotlib (which would fall back)
        self.labels = Labels(settings.lang, self.whatif.base.config.money_unit, font="browser")
        self.values: dict[str, Any] = {c.key: c.base for c in self.whatif.controls}
        self.question: Question = self.whatif.question({})
        self.task: asyncio.Task[None] | None = None
        self.errors: dict[str, ui.label] = {}
        self.build()
        self.ask()

    # -- layout -----------------------------------------------------------------------------

    def build(self) -> None:
        w = self.w
        base = self.whatif.base
        ui.page_title(w("title"))
        # the compare report's explanation table, at the page's size
        ui.add_css(
            ".explain { font-size: 0.85em } .explain th, .explain td { padding: 1px 10px; text-align: right }"
            " .explain th:nth-child(-n+2), .explain td:nth-child(-n+2) { text-align: left }"
        )
        with ui.header().classes("items-center"):
            ui.label(w("title")).classes("text-h6")
            ui.label(f"{w('scenario')}: {base.name}").classes("text-subtitle2")
            ui.space()
            self.status = ui.label("").props("data-testid=status")
        with ui.row().classes("w-full no-wrap items-start"):
            with ui.column().classes("w-96 shrink-0"):
                self.build_controls()
                self.build_keep()
            with ui.column().classes("grow"):
                self.build_answers()

    def build_controls(self) -> None:
        groups: dict[str, list[Control]] = {}
        for c in self.whatif.controls:
            groups.setdefault(c.group, []).append(c)
        for group, controls in groups.items():
            opened = group.startswith("source") or group == "pool"
            with ui.expansion(self.group_title(group), value=opened).classes("w-full"):
                for c in controls:
                    self.build_control(c)

    def group_title(self, group: str) -> str:
        if group.startswith("source:"):
            return self.w("group_source", name=self.w.name(group.split(":", 1)[1]))
        return self.w(f"group_{group}")

    def build_control(self, c: Control) -> None:
        w = self.w
        label = w("policy_from", name=c.label) if c.group == "policies" else w(c.label)
        testid = f"data-testid=control-{_testid(c.key)}"

        def changed(e: Any, key: str = c.key) -> None:
            self.values[key] = e.value
            self.ask()

        field: Any
        if c.kind in ("number", "whole"):
            field = ui.number(label, value=c.base, on_change=changed)
            field.props(f"debounce=250 {testid}" + (" clearable" if c.optional else ""))
        elif c.kind == "choice":
            options = {o: w(o) if o in WORDING else o for o in c.options}
            field = ui.select(options, label=label, value=c.base, on_change=changed).props(testid)
        elif c.kind == "choices":
            options = {o: w.name(o) for o in c.options}
            field = ui.select(options, label=label, value=list(c.base), multiple=True, on_change=changed)
            field.props(f"use-chips {testid}")
        else:
            field = ui.textarea(label, value=c.base, on_change=changed)
            field.props(f"debounce=600 {testid}").classes("w-full")
        field.classes("w-full")
        self.errors[c.key] = (
            ui.label("").classes("text-negative text-caption").props(f"data-testid=error-{_testid(c.key)}")
        )

    def build_keep(self) -> None:
        w = self.w
        with ui.card().classes("w-full"):
            ui.label(w("keep")).classes("text-subtitle1")
            self.save_name = ui.input(w("save_name"), value=f"{self.whatif.base.name}-whatif").classes(
                "w-full"
            )
            self.save_name.props("data-testid=save-name")
            ui.button(w("save"), on_click=self.save).props("data-testid=save")
            self.saved = ui.label("").classes("text-caption").props("data-testid=saved")
            ui.button(w("download_zip"), on_click=lambda: self.download("zip")).props(
                "data-testid=download-zip"
            )
            ui.button(w("download_xlsx"), on_click=lambda: self.download("xlsx")).props(
                "data-testid=download-xlsx"
            )

    def build_answers(self) -> None:
        w = self.w
        base = self.whatif.base.name
        theirs = w("base_median", base=base)
        self.total = ui.label("").classes("text-subtitle1").props("data-testid=difference")
        # compare's timing-shift sentence, if it would say one, under the total
        self.timing = ui.html("").classes("w-full text-body2").props("data-testid=timing")
        self.fan = _chart(
            w.chart("fan_title"),
            [*_band(w.chart("band")), _line(w.chart("median")), _line(theirs, dashed=True)],
            w.chart("investment_axis"),
            "w-full h-80",
            "fan",
        )
        self.diff = _chart(
            w.chart("diff_title", base=base),
            [*_band(w.chart("ci95")), _line(w.chart("mean"))],
            w.chart("diff_axis"),
            "w-full h-64",
            "diff",
        )
        # where the difference comes from, as compare says it (its explanation table)
        self.explanation = ui.html("").classes("w-full text-body2").props("data-testid=explanation")
        with ui.row().classes("w-full no-wrap"):
            self.growth = _chart(
                w.chart("growth_title"),
                [*_band(w.chart("band")), _line(w.chart("median")), _line(theirs, dashed=True)],
                "",  # a share on the year before, as the title says
                "w-1/2 h-64",
                "growth",
            )
            self.monthly = _chart(
                w.chart("monthly_title"),
                [*_band(w.chart("band")), _line(w.chart("median")), _line(theirs, dashed=True)],
                w.chart("money_axis"),
                "w-1/2 h-64",
                "monthly",
            )
        self.ytd = _chart(
            w.chart("ytd_title"),
            [*_band(w.chart("band")), _line(w.chart("median")), _line(theirs, dashed=True)],
            "",
            "w-full h-64",
            "ytd",
        )
        self.targets = ui.column().classes("w-full").props("data-testid=targets")
        with ui.row().classes("w-full no-wrap"):
            bars = [
                {"name": w("variant"), "type": "bar", "data": []},
                {"name": base, "type": "bar", "data": []},
            ]
            self.waits = _chart(w("waits_title"), bars, w.chart("months_axis"), "w-1/2 h-64", "waits")
            self.binding = ui.echart(
                {
                    "animation": False,
                    "title": {"text": w("binding_title"), "textStyle": {"fontSize": 13}},
                    "tooltip": {},
                    "grid": {"left": 140, "right": 20, "top": 40, "bottom": 50},
                    "xAxis": {"type": "category", "data": []},
                    "yAxis": {"type": "category", "data": []},
                    "visualMap": {"min": 0, "max": 1, "orient": "horizontal", "left": "center", "bottom": 0},
                    "series": [{"type": "heatmap", "data": []}],
                }
            )
            self.binding.classes("w-1/2 h-64").props("data-testid=binding")
        ui.label(w("numbers_title")).classes("text-subtitle1")
        self.numbers = ui.html("").props("data-testid=numbers")

    # -- asking -----------------------------------------------------------------------------

    def ask(self) -> None:
        """Validate the control values and, if they hold, answer them (cancelling the
        answers under way)."""
        for label in self.errors.values():
            label.set_text("")
        try:
            question = self.whatif.question(self.values)
        except ControlError as e:
            self.errors.get(e.control, self.errors[OTHER]).set_text(e.message)
            self.status.set_text(self.w("status_invalid"))
            return
        self.question = question
        if self.task is not None:
            self.task.cancel()
        self.task = asyncio.get_event_loop().create_task(self.answer(question))

    async def answer(self, question: Question) -> None:
        try:
            async for answer in self.whatif.answers(question):
                self.show(answer)
        except (InputError, ModelCheckError, BrokenProcessPool) as e:
            # said on the page, as the command line would say it (no traceback)
            self.status.set_text(f"error: {e}")
            self.status.props("data-done=error")

    def cancel(self) -> None:
        """Stop answering (the tab closed)."""
        if self.task is not None:
            self.task.cancel()

    def show(self, a: dict[str, Any]) -> None:
        w = self.w
        years = [str(y) for y in a["years"]]
        n, wanted = a["replications"], a["wanted"]
        running = n < wanted
        self.status.set_text(w("status_running" if running else "status_done", n=n, wanted=wanted))
        self.status.props(f"data-replications={n} data-done={'no' if running else 'yes'}")
        fan, d, g = a["fan"], a["difference"], a["growth"]
        self._set(self.fan, years, [fan["p10"], _width(fan["p10"], fan["p90"]), fan["p50"], fan["base_p50"]])
        self._set(self.diff, years, [d["low"], _width(d["low"], d["high"]), d["mean"]])
        self._set(self.growth, years, [g["p10"], _width(g["p10"], g["p90"]), g["p50"], g["base_p50"]])
        m = a["monthly"]
        if m:
            self._set(
                self.monthly, m["labels"], [m["p10"], _width(m["p10"], m["p90"]), m["p50"], m["base_p50"]]
            )
            ytd = [m[f"ytd_growth_{q}"] for q in ("p10", "p90", "p50")]
            self._set(
                self.ytd, m["labels"], [ytd[0], _width(ytd[0], ytd[1]), ytd[2], m["base_ytd_growth_p50"]]
            )
        waits = a["waits"]
        self._set(self.waits, [w.name(s) for s in waits["stages"]], [waits["variant"], waits["base"]])
        b = a["binding"]
        self.binding.options["xAxis"]["data"] = years
        self.binding.options["yAxis"]["data"] = [binding_label(r, w.zh, w.name) for r in b["resources"]]
        self.binding.options["series"][0]["data"] = [
            [i, j, None if v is None else round(v, 3)]
            for j, row in enumerate(b["values"])
            for i, v in enumerate(row)
        ]
        self.binding.update()
        t = a["total"]
        if not self.question.changed:
            self.total.set_text(w("difference_none"))
        else:
            self.total.set_text(
                f"{w('difference')}: {t['mean']:+,.1f} {w.unit} "
                f"(95%: {_fmt(t['low'])} … {_fmt(t['high'])}; n = {t['n']})"
            )
        self.total.props(f"data-mean={t['mean']!r}")
        changed = self.question.changed
        self.timing.set_content(self._timing(a) if changed else "")
        self.explanation.set_content(self._explanation(a) if changed else "")
        self.show_targets(a["targets"])
        self.numbers.set_content(_numbers_table(a["annual"], w))

    def _timing(self, a: dict[str, Any]) -> str:
        """The timing-shift sentence, if compare would say one, as its report words it."""
        shift = a.get("timing")
        if shift is None:
            return ""
        # named as the page names it ("the base then starts projects the what-if scenario
        # has already started")
        shift = dataclasses.replace(shift, scenario=self.w("whatif_name"))
        return f"<p>{esc(timing_text(shift, self.labels))}</p>"

    def _explanation(self, a: dict[str, Any]) -> str:
        """The table of where the difference over the horizon comes from (by sector, by
        funding source, money committed, by stage), as the compare report shows it."""
        found = a.get("explanation")
        if found is None:
            return ""
        labels = self.labels
        out = []
        out.append(f"<p><b>{esc(labels.word('explain_heading', scenario=self.w('whatif_name')))}</b></p>")
        out.append(f'<p class="text-caption">{esc(labels.word("explain_lead"))}</p>')
        # the report's table, at the page's size
        out.append(f'<div class="explain">{explanation_table(found, labels)}</div>')
        return "".join(out)

    def _set(self, chart: Any, x: list[str], series: list[list[Any]]) -> None:
        chart.options["xAxis"]["data"] = x
        for s, data in zip(chart.options["series"], series, strict=True):
            s["data"] = data
        chart.update()

    def show_targets(self, targets: list[dict[str, Any]]) -> None:
        self.targets.clear()
        shown = [t for t in targets if t["probability"] is not None]
        if not shown:
            return
        w = self.w
        with self.targets:
            ui.label(w("targets_title")).classes("text-subtitle1")
            with ui.row():
                for t in shown:
                    ui.label(
                        f"{t['year']}: {t['probability']:.0%} "
                        f"({_fmt(t['low'], '.0%')} … {_fmt(t['high'], '.0%')}; "
                        f"{w.chart('target')} {t['target']:.1%})"
                    ).classes("text-caption")

    # -- keeping ----------------------------------------------------------------------------

    def save(self) -> None:
        name = re.sub(r"[^\w.-]+", "-", (self.save_name.value or "").strip()).strip(".-") or "whatif"
        folder = self.s.save_dir
        path = folder / f"{name}.yaml"
        path.write_text(self.whatif.scenario_text(self.question, name, folder), encoding="utf-8")
        self.saved.set_text(self.w("saved", path=str(path)))

    async def download(self, kind: str) -> None:
        note = ui.notification(self.w("preparing"), spinner=True, timeout=None)
        try:
            future = self.whatif.workers.call(results_file, self.question.scenario, self.s.lang, kind)
            name, data = await asyncio.wrap_future(future)
        finally:
            note.dismiss()
        ui.download.content(data, name)


def _width(low: list[float | None], high: list[float | None]) -> list[float | None]:
    """A band's width above its lower line (nothing where either is missing)."""
    return [None if h is None or lo is None else h - lo for lo, h in zip(low, high, strict=True)]


def _line(name: str, dashed: bool = False) -> dict[str, Any]:
    style = {"lineStyle": {"type": "dashed"}} if dashed else {}
    return {"name": name, "type": "line", "data": [], "symbolSize": 4, **style}


def _band(name: str) -> list[dict[str, Any]]:
    """A shaded band: an invisible lower line and the width above it, stacked."""
    # stack both signs together: by default ECharts stacks negative values apart
    hidden = {
        "lineStyle": {"opacity": 0},
        "symbol": "none",
        "stack": "band",
        "stackStrategy": "all",
        "tooltip": {"show": False},
    }
    return [
        {"name": "_low", "type": "line", "data": [], **hidden},
        {"name": name, "type": "line", "data": [], **hidden, "areaStyle": {"opacity": 0.25}},
    ]


def _chart(title: str, series: list[dict[str, Any]], axis: str, classes: str, testid: str) -> Any:
    shown = [s["name"] for s in series if not s["name"].startswith("_")]
    chart = ui.echart(
        {
            "animation": False,
            "title": {"text": title, "textStyle": {"fontSize": 13}},
            "tooltip": {"trigger": "axis"},
            "legend": {"data": shown, "bottom": 0},
            "grid": {"left": 60, "right": 20, "top": 50, "bottom": 50},
            "xAxis": {"type": "category", "data": []},
            "yAxis": {"type": "value", "name": axis, "scale": True},
            "series": series,
        }
    )
    return chart.classes(classes).props(f"data-testid={testid}")


def _fmt(value: float | None, spec: str = "+,.1f") -> str:
    return "–" if value is None else format(value, spec)


def _numbers_table(rows: list[dict[str, Any]], w: Words) -> str:
    heads = ["year", "investment_mean", "investment_p10", "investment_p50", "investment_p90", "growth_p50"]
    names = [w.chart("year"), *(columns.heading(h, w.zh, w.unit, w.name) for h in heads[1:])]
    head = "".join(f"<th style='padding:0 8px'>{h}</th>" for h in names)
    body = []
    for row in rows:
        cells = [f"<td>{row['year']}</td>"]
        for h in heads[1:]:
            v = row[h]
            text = "–" if v is None else (f"{v:.1%}" if h.startswith("growth") else f"{v:,.1f}")
            exact = "" if v is None else repr(v)
            cells.append(
                f"<td style='text-align:right;padding:0 8px' title='{exact}' data-exact='{exact}' "
                f"data-key='{row['year']}-{h}'>{text}</td>"
            )
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table class='text-caption'><tr>{head}</tr>{''.join(body)}</table>"
