"""DICOM in: index folders, build Volumes (geometry + HU), de-identify, demo phantoms."""
