"""`sfrt-reader demo` and `sfrt-reader gui --db` as subprocesses: set-up once, reuse, log in, errors in one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

from sfrt_reader.reading import ReadingService, open_database


def _run(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "config"), QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [sys.executable, "-m", "sfrt_reader", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_demo_sets_up_once_then_reuses(tmp_path: Path, demo_images: Path) -> None:
    data = tmp_path / "demo"
    data.mkdir()
    (data / "trial").symlink_to(demo_images, target_is_directory=True)  # the images exist: import only
    first = _run(tmp_path, "demo", "--data", str(data), "--no-gui")
    assert first.returncode == 0, first.stderr
    assert "created" in first.stdout and "reader1" in first.stdout and "demo-reader1" in first.stdout
    service = ReadingService(open_database(data / "demo-central.sqlite"))
    assert service.paradigm == "central"
    assert [r[0] for r in service.readers()] == ["adjudicator", "reader1", "reader2"]
    assert service.pseudonyms() == ["demo-02"]
    labels = sorted(label for _n, label, _how, _m, _d in service.studies("demo-02"))
    assert labels == sorted(["baseline", "3m", "6m", "9m", "12m"])
    events = len(service.audit_events())
    second = _run(tmp_path, "demo", "--data", str(data), "--no-gui")
    assert second.returncode == 0, second.stderr
    assert "created" not in second.stdout
    assert len(service.audit_events()) == events  # nothing imported twice
    # a blinded reader logs in from the command line; the worklist window is saved as a picture
    shot = tmp_path / "worklist.png"
    gui = _run(
        tmp_path,
        "gui",
        "--db",
        str(data / "demo-central.sqlite"),
        "--user",
        "reader1",
        "--password-stdin",
        "--screenshot",
        str(shot),
        stdin="demo-reader1\n",
    )
    assert gui.returncode == 0, gui.stderr
    assert QImage(str(shot)).width() > 400


def test_gui_on_a_database_without_trial_is_one_line(tmp_path: Path) -> None:
    open_database(tmp_path / "empty.sqlite").engine.dispose()  # an existing database with no trial in it
    result = _run(
        tmp_path, "gui", "--db", str(tmp_path / "empty.sqlite"), "--user", "x", "--password-stdin", stdin="y\n"
    )
    assert result.returncode == 2
    assert "no trial" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_wrong_password_on_the_command_line_is_one_line(tmp_path: Path, demo_images: Path) -> None:
    data = tmp_path / "demo"
    data.mkdir()
    (data / "trial").symlink_to(demo_images, target_is_directory=True)
    assert _run(tmp_path, "demo", "--data", str(data), "--no-gui", "--paradigm", "local").returncode == 0
    result = _run(
        tmp_path, "gui", "--db", str(data / "demo-local.sqlite"), "--user", "local", "--password-stdin", stdin="bad\n"
    )
    assert result.returncode == 2
    assert "wrong password" in result.stderr and "Traceback" not in result.stderr


def test_demo_screenshot_without_a_user_pictures_the_log_in_and_exits(tmp_path: Path, demo_images: Path) -> None:
    """Offscreen, with no reader to log in, the log-in dialog is what is pictured (it used to wait for ever, or
    exit 2 without a word when the picture could not be written)."""
    data = tmp_path / "demo"
    data.mkdir()
    (data / "trial").symlink_to(demo_images, target_is_directory=True)
    shot = tmp_path / "login.png"
    result = _run(tmp_path, "demo", "--data", str(data), "--screenshot", str(shot))
    assert result.returncode == 0, result.stderr
    picture = QImage(str(shot))
    assert 250 < picture.width() < 1200 and picture.height() > 150  # the dialog, not an empty file

    missing = _run(tmp_path, "demo", "--data", str(data), "--screenshot", str(tmp_path / "nowhere" / "x.png"))
    assert missing.returncode == 2
    assert "nowhere: folder does not exist" in missing.stderr and "Traceback" not in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1

    (tmp_path / "taken.png").mkdir()  # a folder where the picture should go: it cannot be written
    blocked = _run(
        tmp_path,
        "demo",
        "--data",
        str(data),
        "--user",
        "reader1",
        "--password-stdin",
        "--screenshot",
        str(tmp_path / "taken.png"),
        stdin="demo-reader1\n",
    )
    assert blocked.returncode == 2
    assert "could not write the screenshot" in blocked.stderr and "Traceback" not in blocked.stderr
