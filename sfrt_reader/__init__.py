"""sfrt-reader: a reading workstation for tumour response (RECIST 1.1 and Choi) on serial CT and MRI."""

__version__ = "0.1.0"
