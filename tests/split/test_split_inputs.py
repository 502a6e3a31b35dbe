"""The households reader keeps the optional compound column the split reads."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from siting.io import read_households


@pytest.mark.parametrize("name", ["compound_id", "小区", "Compound"])
def test_compound_column_is_read_as_text(tmp_path: Path, name: str) -> None:
    path = tmp_path / "hh.csv"
    pd.DataFrame({"lon": [114.05, 114.051, 114.052], "lat": [22.54, 22.541, 22.542],
                  "households": [10, 20, 30], name: [7, 7, None]}).to_csv(path, index=False)
    hh = read_households(path)
    assert hh["compound_id"].tolist()[:2] == ["7", "7"]
    assert hh["compound_id"].iloc[2] is None
    assert name not in hh.columns or name == "compound_id"


def test_no_compound_column_adds_none(tmp_path: Path) -> None:
    path = tmp_path / "hh.csv"
    pd.DataFrame({"lon": [114.05], "lat": [22.54], "households": [10]}).to_csv(path, index=False)
    assert "compound_id" not in read_households(path).columns
