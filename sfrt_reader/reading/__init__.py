"""The read database: trial, subjects, timepoints, lesions, reads, sign-off, adjudication, audit trail."""

from sfrt_reader.reading.database import Database, default_database_path, open_database
from sfrt_reader.reading.errors import (
    AccessDeniedError,
    AuthenticationError,
    DatabaseBusyError,
    DatabaseError,
    LockedReadError,
    NotFoundError,
    ReadingError,
    SignatureError,
    WorkflowError,
)
from sfrt_reader.reading.service import ReadingService, StudyRecord
from sfrt_reader.reading.session import ReaderSession

__all__ = [
    "AccessDeniedError",
    "AuthenticationError",
    "Database",
    "DatabaseBusyError",
    "DatabaseError",
    "LockedReadError",
    "NotFoundError",
    "ReaderSession",
    "ReadingError",
    "ReadingService",
    "SignatureError",
    "StudyRecord",
    "WorkflowError",
    "default_database_path",
    "open_database",
]
