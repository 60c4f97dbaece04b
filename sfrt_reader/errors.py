"""The one base class for every error a user can cause.

The GUI shows `str(error)` in a message box and the CLI prints it and exits 2, so each message must say what is
wrong and what to do, in words a radiologist understands, and must never contain a patient identifier.
"""

from __future__ import annotations


class SfrtError(Exception):
    """An error caused by input or state the user controls (bad file, bad measurement, locked read)."""

    exit_code = 2
