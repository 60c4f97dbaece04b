"""Geometry in patient millimetres: diameters, short axis, region statistics, lesion segmentation."""
