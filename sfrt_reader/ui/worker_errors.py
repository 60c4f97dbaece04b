"""What a background job tells the reader when it fails.

One rule for every worker: an `SfrtError` carries a message written for the reader (what is wrong, what to do), so
it is shown as it is; anything else is a bug below us, and its text may carry file names or identifiers, so only
its type is shown, after what the job was doing.
"""

from __future__ import annotations

from sfrt_reader.errors import SfrtError


def failure_text(error: Exception, what_failed: str) -> str:
    """The one line a failed job reports: the error's own message, or `what_failed` with the bug's type."""
    if isinstance(error, SfrtError):
        return str(error)
    return f"{what_failed} (internal error {type(error).__name__})"
