"""Out: PDF response forms, tables, DICOM SR, plots, trial endpoint statistics."""
