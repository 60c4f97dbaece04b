"""Checking a printed response form or subject summary against the read database.

A printed form carries, in its footer, its form version and the SHA-256 of its canonical content. The form is
genuine and still true when (1) that hash was recorded in the audit trail as an export of this read and timepoint,
and (2) the database, rebuilt into content by the rules of the form version it was printed under, gives the same
hash again. The version comes from the export's audit event; exports recorded before the version was kept there
are rebuilt under each version this release knows, newest first, and the one that matches is named (it must be the
one printed in the footer). A form printed by an earlier release therefore still verifies after an upgrade, and
one whose footer or database rows were altered does not.

Who may check: anyone who may see the read (its reader, a manager, the adjudicator of its subject). The content is
rebuilt as the user who exported it saw the read, because it depends on that: an adjudicator sees the readers as
"A" and "B", so the form he prints differs from the one the reader prints. The answer names that user only as the
checking user may see him ("reader A" for an adjudicator), never by a name the checker's view withholds.
"""

from __future__ import annotations

from dataclasses import dataclass

from sfrt_reader.reading.errors import AccessDeniedError
from sfrt_reader.reading.service import ExportRecord
from sfrt_reader.reading.session import ReaderSession
from sfrt_reader.reports import content as C
from sfrt_reader.reports.errors import ReportError
from sfrt_reader.reports.forms import FORM_KIND, SUMMARY_KIND

HEX = set("0123456789abcdef")


@dataclass(frozen=True)
class FormCheck:
    """The outcome: `ok` and a one-paragraph explanation a monitor can file; the matching version and export."""

    ok: bool
    message: str
    form_version: str | None = None
    export: ExportRecord | None = None


def clean_sha256(text: str) -> str:
    """The footer hash as typed (any case, spaces allowed between groups) as 64 lower-case hex digits."""
    digest = "".join(text.split()).lower()
    if len(digest) != 64 or not set(digest) <= HEX:
        raise ReportError(
            "the SHA-256 must be the 64 hexadecimal digits printed in the form's footer (spaces are ignored)"
        )
    return digest


def verify_form(session: ReaderSession, read_id: int, label: str | None, sha256: str) -> FormCheck:
    """Check the response form of `label` (or, with label None, the subject summary) of a read against `sha256`."""
    digest = clean_sha256(sha256)
    ctx = C.gather(session, read_id, with_images=False)  # refuses a read this session may not see
    what = f"the response form of timepoint {label}" if label is not None else "the subject summary"
    if label is not None:
        ctx.timepoint(label)  # a clear error for an unknown timepoint
    kind = FORM_KIND if label is not None else SUMMARY_KIND
    exports = [e for e in session.service.exported_documents(read_id) if e.kind == kind and e.label == label]
    matching = [e for e in exports if e.sha256 == digest]
    if not matching:
        return FormCheck(
            False,
            f"NOT VERIFIED: no export of {what} of read {read_id} with this SHA-256 is recorded in the audit trail "
            f"({len(exports)} other export(s) of it are): the hash was mistyped, the footer was altered, or the form "
            "does not come from this database",
        )
    export = matching[-1]
    # rebuilt as its exporter saw the read (an adjudicator checking a reader's form), named as this user may see him
    maker, exported_by = session.exporter_session(read_id, export.export_id)
    if maker is not session:
        try:
            ctx = C.gather(maker, read_id, with_images=False)
        except AccessDeniedError:
            raise ReportError(
                f"{what} of read {read_id} was exported by {exported_by}, who may no longer see this read, so its "
                "content cannot be rebuilt as it was printed: ask a trial manager to verify it"
            ) from None
    recorded = export.details.get("form_version")
    versions = [str(recorded)] if recorded is not None else list(reversed(C.FORM_VERSIONS))
    for version in versions:
        if version not in C.FORM_VERSIONS:
            raise ReportError(
                f"{what} was printed as form version {version}, which this release cannot rebuild "
                f"(it knows {', '.join(C.FORM_VERSIONS)}): verify it with the release that printed it or a newer one"
            )
        content = C.form_content(session, ctx, label, version) if label is not None else C.summary_content(ctx, version)
        if C.sha256_of(content) == digest:
            how = "as recorded with the export" if recorded is not None else "the version whose rules reproduce it"
            return FormCheck(
                True,
                f"VERIFIED: {what} of read {read_id}, form {content['form']['id']} version {version} ({how}), "
                f"exported by {exported_by} on {export.exported_at:%Y-%m-%d %H:%M} UTC (export "
                f"{export.export_id}); the database rebuilt by the form {version} rules gives the same SHA-256",
                version,
                export,
            )
    return FormCheck(False, _changed_message(ctx, what, read_id, label, export, exported_by, versions), None, export)


def _changed_message(
    ctx: C.ReadContext,
    what: str,
    read_id: int,
    label: str | None,
    export: ExportRecord,
    exported_by: str,
    versions: list[str],
) -> str:
    """Why a recorded form no longer rebuilds: superseded by an amendment, or changed behind the application."""
    rules = "form " + " / ".join(versions) + " rules"
    head = (
        f"NOT VERIFIED: {what} of read {read_id} was exported with this SHA-256 by {exported_by} on "
        f"{export.exported_at:%Y-%m-%d %H:%M} UTC, but the database rebuilt by the {rules} no longer gives it: "
    )
    if label is not None and export.version is not None:
        now = ctx.signed_version(label)
        if now.version != export.version:
            return head + (
                f"timepoint {label} was amended since (version {export.version} printed, version {now.version} is "
                "now the signed record): this form is superseded; print the current one"
            )
    if label is None:
        return head + (
            "the read changed after the export (a timepoint signed or amended since: print the summary again; or "
            "rows changed behind the application: run `sfrt-reader audit verify`)"
        )
    return head + (
        "the read changed after the export (an earlier timepoint amended since, or rows changed behind the "
        "application: run `sfrt-reader audit verify`)"
    )
