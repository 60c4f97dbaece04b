"""The codes our TID 1500 SRs use beyond the measurements, in one place for the writer and the reader.

Standard codes first: DICOM (DCM) response concepts of CID 6143/6144 (target and non-target lesion response) and
CID 6147 (response criteria: RECIST 1.1), SNOMED CT (SCT) present/absent/yes/no/equivocal/not evaluated and
volume, UCUM units. What DICOM has no code for (a lesion's role in the read, a measurement "too small to
measure", a split lesion's fragments, the Choi criteria, an overall timepoint response) uses the private coding
scheme `99SFRT`, declared in the Coding Scheme Identification Sequence of every SR we write (PS3.3 C.12.1.1.5:
designators starting with "99" are private).

Each table maps a value of the reading database to a code and back, so the round trip (export then `import-sr`)
is a lookup in both directions and an unknown code is refused instead of guessed.
"""

from __future__ import annotations

from typing import Any

from pydicom.sr.codedict import codes

SCHEME = "99SFRT"
SCHEME_NAME = "sfrt-reader private codes"
SCHEME_ORGANIZATION = "sfrt-reader project"


def private(value: str, meaning: str) -> Any:
    """A code of the private scheme (highdicom checks the value and meaning lengths)."""
    import highdicom as hd

    return hd.sr.CodedConcept(value=value, scheme_designator=SCHEME, meaning=meaning)


def standard(code: Any) -> Any:
    import highdicom as hd

    return hd.sr.CodedConcept(value=code.value, scheme_designator=code.scheme_designator, meaning=code.meaning)


Key = tuple[str, str]  # (scheme designator, code value): how a code is recognised when read back


def key(code: Any) -> Key:
    return (str(code.scheme_designator), str(code.value))


# ----- concept names (what is evaluated) -----

ROLE = ("LESROLE", "Lesion role in the read")
NODAL = ("NODAL", "Lymph node")
MEASUREMENT_STATUS = ("MSTATUS", "Measurement status")
NON_TARGET_STATUS = ("NTSTATUS", "Non-target lesion status")
FRAGMENT = ("FRAGLD", "Longest diameter of a lesion fragment")
NEW_LESIONS = ("NEWLES", "New lesions")
NODULES = ("NEWNOD", "New intratumoral nodules")
TARGET_RESPONSE = ("TGTRESP", "Target lesion response")
NON_TARGET_RESPONSE = ("NTRESP", "Non-target lesion response")
CURRENT_RESPONSE = codes.DCM.CurrentResponse  # 112048: the overall response of this timepoint
EVALUATION_METHOD = codes.DCM.ResponseEvaluationMethod  # 112021, as a concept modifier of each response
QUALITATIVE_EVALUATIONS = ("C0034375", "UMLS", "Qualitative Evaluations")  # TID 1500 row 12
# The mean of a region: attenuation in Hounsfield units on CT; on MR the signal intensity, whose scale is the
# scanner's own (not comparable between scans), so it is given in UCUM's "arbitrary unit" as DICOM pairs them in
# CID 7180 / CID 7181 (the semantics and units of parametric map values).
MR_SIGNAL = codes.DCM.MRSignalIntensity  # 110852
ARBITRARY_UNIT = codes.UCUM.ArbitraryUnit  # [arb'U]
COMMENT = codes.DCM.Comment  # 121106: the reader's free text, on a lesion or on the timepoint
BEST_RESPONSE = codes.DCM.BestOverallResponse  # 112049, as known at this timepoint
PROGRESSION_DAY = ("PROGDAY", "Day of first progression from baseline")
PROGRESSION_DATE = ("PROGDATE", "Date of first progression")  # unblinded reads only
ADJUDICATION = ("ADJUD", "Central review adjudication of this read")
ADJUDICATION_RATIONALE = ("ADJRAT", "Adjudication rationale")
VOLUME = codes.SCT.Volume
VOLUME_METHOD = codes.DCM.SumOfSegmentedVoxelMethodForVolume  # 126030
MILLILITER = ("ml", "UCUM", "milliliter")


def criterion_codes() -> dict[str, Any]:
    """criterion of the engine -> its Response Evaluation Method code."""
    return {"recist1.1": standard(codes.DCM.RECIST1Point1), "choi": private("CHOI", "Choi criteria")}


def measurement_statuses() -> dict[str, Any]:
    return {
        "measured": private("MEASURED", "Measured"),
        "too_small": private("TOO_SMALL", "Too small to measure"),
        "disappeared": private("DISAPPEARED", "Disappeared"),
        "not_evaluable": private("NOT_EVALUABLE", "Not evaluable"),
    }


def non_target_statuses() -> dict[str, Any]:
    return {
        "present": standard(codes.SCT.Present),
        "absent": standard(codes.SCT.Absent),
        "progression": private("UNEQPROG", "Unequivocal progression"),
        "not_evaluated": standard(codes.SCT.NotEvaluated),
    }


def new_lesion_values() -> dict[str, Any]:
    return {"no": standard(codes.SCT.No), "yes": standard(codes.SCT.Yes), "equivocal": standard(codes.SCT.Equivocal)}


def yes_no() -> dict[bool, Any]:
    return {False: standard(codes.SCT.No), True: standard(codes.SCT.Yes)}


def not_evaluable() -> Any:
    return private("NE", "Not evaluable")


def target_responses() -> dict[str, Any]:
    """CID 6143 for the target lesions; NE has no standard code."""
    return {
        "CR": standard(codes.DCM.TargetLesionCompleteResponse),
        "PR": standard(codes.DCM.TargetLesionPartialResponse),
        "SD": standard(codes.DCM.TargetLesionStableDisease),
        "PD": standard(codes.DCM.TargetLesionProgressiveDisease),
        "NE": not_evaluable(),
    }


def non_target_responses() -> dict[str, Any]:
    """CID 6144 for the non-target lesions (non-CR/non-PD is "incomplete response or stable disease")."""
    return {
        "CR": standard(codes.DCM.NonTargetLesionCompleteResponse),
        "NON_CR_NON_PD": standard(codes.DCM.NonTargetLesionIncompleteResponseOrStableDisease),
        "PD": standard(codes.DCM.NonTargetLesionProgressiveDisease),
        "NE": not_evaluable(),
    }


def overall_responses() -> dict[str, Any]:
    """Overall timepoint responses: no DICOM context group holds them, so private codes."""
    return {
        "CR": private("CR", "Complete response"),
        "PR": private("PR", "Partial response"),
        "SD": private("SD", "Stable disease"),
        "PD": private("PD", "Progressive disease"),
        "NE": not_evaluable(),
        "NON_CR_NON_PD": private("NONCRNONPD", "Non-CR/non-PD"),
    }


def adjudication_states() -> dict[str, Any]:
    """What became of this read in the adjudication of a discordant subject (as `tables.adjudication_states`)."""
    return {
        "chosen": private("CHOSEN", "Chosen by the adjudicator"),
        "not chosen": private("NOTCHOSEN", "Not chosen by the adjudicator"),
        "pending": private("PENDING", "Adjudication pending"),
        "withdrawn": private("WITHDRAWN", "Adjudication withdrawn (reads agree)"),
    }


def reverse(table: dict[Any, Any]) -> dict[Key, Any]:
    """code -> database value, for reading an SR back."""
    return {key(code): value for value, code in table.items()}


def coding_scheme_item() -> Any:
    """The Coding Scheme Identification Sequence item that declares the private scheme."""
    from pydicom import Dataset

    item = Dataset()
    item.CodingSchemeDesignator = SCHEME
    item.CodingSchemeName = SCHEME_NAME
    item.CodingSchemeResponsibleOrganization = SCHEME_ORGANIZATION
    return item
