"""The read database: trial, subjects, timepoints, lesions, reads, sign-off, adjudication, audit trail."""
