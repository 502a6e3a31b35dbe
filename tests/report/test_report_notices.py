"""Warnings reach the planner in the report's language (``siting.errors.Notice``)."""

from __future__ import annotations

import pickle
from dataclasses import replace

import pandas as pd
from report_fakes import make_result

from siting.errors import Notice, notice_text
from siting.report.html import render_report
from siting.report.xlsx import write_xlsx

EN = "12 household points are more than 500 m from any walkable street"
ZH = "12 个住户点距最近的步行道路超过 500 米"


def test_notice_is_the_english_string_and_carries_chinese():
    n = Notice(EN, ZH)
    assert n == EN and isinstance(n, str) and n.zh == ZH
    assert n.text("zh") == ZH and n.text("en") == EN
    assert notice_text(n, "zh") == ZH and notice_text("plain", "zh") == "plain"
    back = pickle.loads(pickle.dumps(n))  # batch runs send results between Dask workers
    assert isinstance(back, Notice) and back.zh == ZH and back == EN


def test_report_and_spreadsheet_show_warnings_in_their_language(tmp_path):
    r = replace(make_result(3), warnings=[Notice(EN, ZH), "a plain note"])
    zh, en = render_report(r, language="zh"), render_report(r, language="en")
    assert ZH in zh and EN not in zh and "a plain note" in zh
    assert EN in en and ZH not in en
    for lang, text in (("zh", ZH), ("en", EN)):
        path = write_xlsx(r, tmp_path / f"s_{lang}.xlsx", language=lang)
        sheets = pd.read_excel(path, sheet_name=None)
        found = [str(v) for df in sheets.values() for v in df.to_numpy().ravel()]
        assert text in found
