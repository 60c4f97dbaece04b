"""`sfrt-reader gui` as a subprocess: opens folders, saves a screenshot, reports errors in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

from tests.imaging.dicom_factory import SeriesSpec, write_series


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config"), QT_QPA_PLATFORM="offscreen", **extra)
    env.pop("DISPLAY", None)
    return env


def _gui(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sfrt_reader", "gui", *args],
        env=env if env is not None else _env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_opens_a_folder_and_saves_a_screenshot(tmp_path: Path) -> None:
    write_series(tmp_path / "ct", SeriesSpec(n=8, rows=64, columns=64))
    shot = tmp_path / "window.png"
    result = _gui(tmp_path, "--open", str(tmp_path / "ct"), "--layout", "1x2", "--screenshot", str(shot))
    assert result.returncode == 0, result.stderr
    image = QImage(str(shot))
    assert image.width() >= 800 and image.height() >= 500


def test_missing_folder_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = _gui(tmp_path, "--open", str(tmp_path / "nowhere"))
    assert result.returncode == 2
    assert "no such file or folder" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unreadable_folder_reports_the_loader_message(tmp_path: Path) -> None:
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "a.dcm").write_bytes(b"not dicom at all")
    result = _gui(tmp_path, "--open", str(tmp_path / "junk"), "--screenshot", str(tmp_path / "s.png"))
    assert result.returncode == 2
    assert "junk" in result.stderr and "Traceback" not in result.stderr


def test_no_screen_is_a_sentence_not_an_abort(tmp_path: Path) -> None:
    env = _env(tmp_path)
    env.pop("QT_QPA_PLATFORM")
    env.pop("WAYLAND_DISPLAY", None)
    result = _gui(tmp_path, env=env)
    assert result.returncode == 2
    assert "no screen" in result.stderr and "Traceback" not in result.stderr


def test_missing_database_is_refused_and_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "typo.sqlite"
    result = _gui(tmp_path, "--db", str(missing))
    assert result.returncode == 2
    assert "no read database" in result.stderr and "trial init" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not missing.exists()
    as_url = _gui(tmp_path, "--db", f"sqlite:///{missing}")
    assert as_url.returncode == 2 and "no read database" in as_url.stderr
    assert not missing.exists()


def test_default_database_missing_is_refused(tmp_path: Path) -> None:
    env = _env(tmp_path, XDG_DATA_HOME=str(tmp_path / "data"))
    result = _gui(tmp_path, env=env)
    assert result.returncode == 2
    assert "no read database" in result.stderr and "sfrt-reader demo" in result.stderr
    assert not any((tmp_path / "data").rglob("*.sqlite"))


def test_folder_as_database_is_refused(tmp_path: Path) -> None:
    result = _gui(tmp_path, "--db", str(tmp_path))
    assert result.returncode == 2
    assert "is a folder, not a read database file" in result.stderr
