"""How long the criteria engine takes for a whole trial: 106 subjects x 8 timepoints x RECIST 1.1 and Choi.

Target: assessing in under 100 ms (the typed engine as the workstation and the statistics call it, from cases
already in memory). The full document round trip (validating parser, engine, output documents) is printed too.
There is no external reference implementation of RECIST/Choi to race against, so the reference figure from the
same run is the cost of merely parsing the same case documents with the standard library's json module: it
shows the engine's cost relative to reading its input. CPU time is printed next to wall-clock time because the
machine may be shared; the target is judged on CPU time.

    PYTHONPATH=. python bench/criteria_bench.py
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

from sfrt_reader.criteria import assess_case, assess_document, parse_case

SUBJECTS = 106
TIMEPOINTS = 8
TARGET_MS = 100.0
REPEATS = 7


def subject(rng: random.Random) -> dict[str, Any]:
    """A plausible subject: 1-5 targets (some nodal), 0-2 non-targets, CT or MR follow-ups, some gaps."""
    n_targets = rng.randint(1, 5)
    lesions = []
    baseline_targets: dict[str, Any] = {}
    nodes = 0
    for i in range(n_targets):
        nodal = i > 0 and nodes < 2 and rng.random() < 0.3  # all nodes are one organ: at most 2 node targets
        nodes += nodal
        lesion_id = f"T{i + 1}"
        lesions.append({"id": lesion_id, "role": "target", "organ": f"organ {i}", "nodal": nodal})
        baseline_targets[lesion_id] = {
            "diameter_mm": round(rng.uniform(15.0 if nodal else 10.0, 150.0), 1),
            "mean_hu": round(rng.uniform(20.0, 80.0), 1),
            "roi_volume_ml": round(rng.uniform(1.0, 900.0), 1),
        }
    non_targets = [f"NT{i + 1}" for i in range(rng.randint(0, 2))]
    lesions += [{"id": n, "role": "non-target", "organ": "lung"} for n in non_targets]
    timepoints = [
        {
            "label": "baseline",
            "day": 0,
            "modality": "CT",
            "contrast": True,
            "targets": baseline_targets,
            "non_targets": dict.fromkeys(non_targets, "present"),
        }
    ]
    trend = rng.uniform(0.6, 1.3)
    for k in range(1, TIMEPOINTS):
        modality = "MR" if rng.random() < 0.3 else "CT"
        targets = {}
        for lesion_id, record in baseline_targets.items():
            if rng.random() < 0.05:
                continue  # not evaluated
            diameter = round(record["diameter_mm"] * trend ** (k / 4) * rng.uniform(0.95, 1.05), 1)
            entry: dict[str, Any] = {"diameter_mm": diameter}
            if modality == "CT":
                entry["mean_hu"] = round(record["mean_hu"] * rng.uniform(0.5, 1.05), 1)
                entry["roi_volume_ml"] = record["roi_volume_ml"]
            targets[lesion_id] = entry
        timepoints.append(
            {
                "label": f"{3 * k}m",
                "day": 91 * k,
                "modality": modality,
                "targets": targets,
                "non_targets": {n: rng.choice(["present", "present", "absent", "progression"]) for n in non_targets},
                "new_lesions": rng.choice(["no"] * 12 + ["equivocal", "yes"]),
                "new_intratumoral_nodules": rng.random() < 0.03,
            }
        )
    return {"lesions": lesions, "timepoints": timepoints}


def best_ms(function: Any) -> tuple[float, float]:
    """Best wall-clock and best CPU time of REPEATS runs, in ms (CPU time is what other users' load disturbs least)."""
    walls, cpus = [], []
    for _ in range(REPEATS):
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return min(walls), min(cpus)


def main() -> None:
    rng = random.Random(20251015)
    texts = [json.dumps(subject(rng)) for _ in range(SUBJECTS)]
    documents = [json.loads(text) for text in texts]
    cases = [parse_case(document) for document in documents]

    def engine() -> None:
        for case in cases:
            assess_case(case, "both")

    def round_trip() -> None:
        for document in documents:
            assess_document(document, "both")

    def parse_json() -> None:
        for text in texts:
            json.loads(text)

    round_trip()  # warm-up: imports and first-call costs are not part of the steady state
    engine_wall, engine_cpu = best_ms(engine)
    trip_wall, trip_cpu = best_ms(round_trip)
    json_wall, json_cpu = best_ms(parse_json)
    print(f"{SUBJECTS} subjects x {TIMEPOINTS} timepoints, RECIST 1.1 + Choi, best of {REPEATS} runs")
    print(f"engine (check, assess both criteria, reasons): {engine_wall:.1f} ms wall, {engine_cpu:.1f} ms CPU")
    print(f"document round trip (parse, check, assess, output): {trip_wall:.1f} ms wall, {trip_cpu:.1f} ms CPU")
    print(f"reference, json.loads of the same {SUBJECTS} documents: {json_wall:.1f} ms wall, {json_cpu:.1f} ms CPU")
    verdict = "met" if engine_cpu < TARGET_MS else "NOT met"
    print(f"target: assessing in < {TARGET_MS:.0f} ms: {verdict} ({engine_cpu:.1f} ms CPU, {engine_wall:.1f} ms wall)")


if __name__ == "__main__":
    main()
