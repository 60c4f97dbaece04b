"""Without --db the database is one SQLite file in the user data folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sfrt_reader.reading import default_database_path


@pytest.mark.skipif(sys.platform != "linux", reason="XDG_DATA_HOME is the Linux user data folder")
def test_default_database_is_in_the_user_data_folder(tmp_path: Path) -> None:
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"))
    result = subprocess.run(
        [sys.executable, "-m", "sfrt_reader", "trial", "init", "--protocol", "NCT06980259"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    expected = tmp_path / "data" / "sfrt-reader" / "reading.sqlite"
    assert expected.is_file()
    assert str(expected) in result.stdout
    assert default_database_path().name == "reading.sqlite"
