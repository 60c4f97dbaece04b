"""A reading workstation in a subprocess, for the crash and concurrency tests.

    python -m tests.reading.worker DB_URL USERNAME PSEUDONYM COUNT

logs in, opens its read of the subject, and saves COUNT target lesions with a measurement each, printing
"saved L<i> <diameter>" only after the service call returned (the point at which the GUI reports "saved").
"""

from __future__ import annotations

import sys

from sfrt_reader.reading import ReadingService, open_database
from tests.reading.conftest import PASSWORD, ArithmeticAssessor


def diameter(i: int) -> float:
    return 10.0 + 0.5 * i


def main(argv: list[str]) -> int:
    url, username, pseudonym, count = argv[0], argv[1], argv[2], int(argv[3])
    service = ReadingService(open_database(url), assessor=ArithmeticAssessor())
    session = service.login(username, PASSWORD)
    read_id = session.open_read(pseudonym).read_id
    session.start_timepoint(read_id, "baseline")
    print("started", flush=True)
    for i in range(count):
        code = f"L{i}"
        session.add_lesion(read_id, code, "target", "thigh")
        session.record_measurement(read_id, "baseline", code, diameter_mm=diameter(i))
        print(f"saved {code} {diameter(i)}", flush=True)
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
