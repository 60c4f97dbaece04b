"""Errors of the read database: each says what is refused and what to do, never naming a patient."""

from __future__ import annotations

from sfrt_reader.errors import SfrtError


class ReadingError(SfrtError):
    """A request the read database refuses (base class)."""


class NotFoundError(ReadingError):
    """The trial, site, subject, reader, read, lesion or timepoint asked for does not exist."""


class WorkflowError(ReadingError):
    """The request breaks the reading workflow (baseline first, timepoints in order, lesions at baseline...)."""


class LockedReadError(WorkflowError):
    """A signed timepoint is read-only: change it only through an amendment with a reason."""


class IdentifyingTextError(WorkflowError):
    """Free text (a comment, a reason, a lesion's name) that names the patient or, in a blinded read, would unblind:
    refused and not saved; the message says what kind of identifier and where, never the identifier."""


class SignatureError(ReadingError):
    """An electronic signature was refused (wrong password, incomplete assessment)."""


class AuthenticationError(ReadingError):
    """Unknown reader or wrong password at log-in."""


class AccessDeniedError(ReadingError):
    """The reader's role or blinding does not allow this (e.g. a central reader opening another reader's read)."""


class DatabaseBusyError(ReadingError):
    """Another workstation held the database for longer than the retry bound."""


class DatabaseError(ReadingError):
    """The database cannot be opened or upgraded."""
