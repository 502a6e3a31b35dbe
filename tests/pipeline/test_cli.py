"""The CLI parses arguments and maps errors to the contract's exit status."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from siting.cli import main


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("demo", "plan", "synth"):
        assert command in out


@pytest.mark.parametrize("command", ["demo", "plan", "synth"])
def test_each_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage" in capsys.readouterr().out


def test_bad_configuration_exits_2_naming_the_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "plan.toml"
    config.write_text('[plan]\nname = "x"\n[inputs]\nnetwork = "absent.osm"\n', encoding="utf-8")
    assert main(["plan", str(config), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "absent.osm" in err and "inputs.network" in err and "Fix:" in err


def test_synth_rejects_zero_households(tmp_path: Path) -> None:
    assert main(["synth", "--households", "0", "--out", str(tmp_path), "--quiet"]) == 2


def test_console_script_entry_point_runs() -> None:
    done = subprocess.run([sys.executable, "-m", "siting.cli", "--version"], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0 and "siting" in done.stdout
