#!/usr/bin/env python3
"""Set up sfrt-reader on a fresh Debian/Ubuntu machine and run it or its tests.

Only the Python standard library is used here, because this script runs before anything is installed.
It is idempotent: the virtual environment is created once and reinstalled only when pyproject.toml changes,
and the Debian packages are installed only when missing.

    python3 dev.py demo      set up, then open the workstation on the bundled demo trial
    python3 dev.py test      set up, then run the whole test suite (extra arguments go to pytest)
    python3 dev.py lint      ruff and mypy, as CI runs them
    python3 dev.py setup     set up only
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".sfrt-installed"

# Qt needs these even offscreen; VTK inside offscreen Qt needs OSMesa; Xvfb for real-window screenshots;
# dcmtk, dicom3tools, poppler-utils and qpdf validate what we write; PostgreSQL for the multi-reader tests.
DEBIAN_PACKAGES = [
    "libegl1",
    "libgl1",
    "libfontconfig1",
    "libdbus-1-3",
    "libglib2.0-0",
    "libxkbcommon0",
    "libosmesa6",
    "xvfb",
    "xauth",
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-image0",
    "libxcb-keysyms1",
    "libxcb-render-util0",
    "libxcb-shape0",
    "libxcb-xkb1",
    "libxkbcommon-x11-0",
    "libxcursor1",
    "fonts-dejavu-core",
    "dcmtk",
    "dicom3tools",
    "poppler-utils",
    "qpdf",
    "postgresql",
]


def _say(message: str) -> None:
    print(f"[sfrt-reader setup] {message}", flush=True)


def _missing_debian_packages() -> list[str]:
    if shutil.which("dpkg-query") is None:
        return []
    missing = []
    for name in DEBIAN_PACKAGES:
        result = subprocess.run(["dpkg-query", "-W", "-f=${Status}", name], capture_output=True, text=True, check=False)
        if "install ok installed" not in result.stdout:
            missing.append(name)
    return missing


def ensure_debian_packages() -> None:
    """Install missing system libraries when we can; otherwise print the exact command and go on."""
    missing = _missing_debian_packages()
    if not missing:
        return
    line = "apt-get install -y --no-install-recommends " + " ".join(missing)
    if os.geteuid() == 0:
        prefix: list[str] = []
    elif shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], check=False).returncode == 0:
        prefix = ["sudo", "-n"]
    else:
        _say("these Debian packages are missing and I cannot install them without root:")
        _say(f"  sudo apt-get update && sudo {line}")
        _say("tests that need them will be skipped or fail until they are installed.")
        return
    _say(f"installing Debian packages: {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run([*prefix, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run([*prefix, *line.split()], check=True, env=env, stdout=subprocess.DEVNULL)


def _venv_python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv() -> None:
    """Create .venv and install the project with its development extras when pyproject.toml changed."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if _venv_python().exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not _venv_python().exists():
        _say("creating the virtual environment in .venv")
        result = subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=False)
        if result.returncode != 0:
            sys.exit("python3 -m venv failed: install python3-venv (apt-get install python3-venv) and retry")
    _say("installing sfrt-reader and its dependencies into .venv (first time: a few minutes)")
    pip = [str(_venv_python()), "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "install", "-q", "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(wanted)


def setup() -> None:
    ensure_debian_packages()
    ensure_venv()


def _run(argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = ROOT) -> int:
    return subprocess.run(argv, cwd=cwd, env=env, check=False).returncode


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "help"
    rest = argv[1:]
    if command in {"help", "-h", "--help"}:
        print(__doc__)
        return 0
    if command not in {"demo", "test", "lint", "setup"}:
        print(f"unknown command {command!r}\n{__doc__}", file=sys.stderr)
        return 2
    setup()
    bin_dir = VENV / "bin"
    if command == "setup":
        return 0
    if command == "demo":
        # in the caller's folder: a relative --screenshot or --data path means what the caller typed
        return _run([str(bin_dir / "sfrt-reader"), "demo", *rest], cwd=None)
    if command == "lint":
        code = _run([str(bin_dir / "ruff"), "check", "."])
        code |= _run([str(bin_dir / "ruff"), "format", "--check", "."])
        code |= _run([str(bin_dir / "mypy")])
        return code
    env = dict(os.environ)
    if not env.get("DISPLAY"):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    return _run([str(_venv_python()), "-m", "pytest", *rest], env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
