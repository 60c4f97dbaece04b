"""`sfrt-reader assess` run as a user runs it: exit codes, the exact --json document, options, examples."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sfrt_reader.criteria import assess_document
from tests.criteria.test_document import ISSUE_EXAMPLE

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


def assess(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sfrt_reader", "assess", *map(str, args)],
        capture_output=True,
        text=True,
        env=os.environ,
        cwd=ROOT,
        check=False,
    )


def write(tmp_path: Path, document: Any, name: str = "case.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def test_json_output_is_exactly_the_document(tmp_path: Path) -> None:
    path = write(tmp_path, ISSUE_EXAMPLE)
    done = assess(path, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == assess_document(ISSUE_EXAMPLE)
    done = assess(path, "--json", "--criteria", "choi")
    assert json.loads(done.stdout)["criteria"] == "choi"


def test_readable_table_shows_rows_and_reasons(tmp_path: Path) -> None:
    done = assess(write(tmp_path, ISSUE_EXAMPLE))
    assert done.returncode == 0, done.stderr
    assert "RECIST 1.1" in done.stdout and "Choi" in done.stdout
    row = next(line for line in done.stdout.splitlines() if line.strip().startswith("3m"))
    assert row.split()[:5] == ["3m", "91", "47.5", "-52.5%", "-52.5%"]
    assert "sum 47.5 mm is 52.5% below the baseline 100.0 mm: PR (at least 30% shrinkage)" in done.stdout
    assert "best overall response: PR" in done.stdout


def test_invalid_input_exits_2_with_one_line_per_problem(tmp_path: Path) -> None:
    document = json.loads(json.dumps(ISSUE_EXAMPLE))
    document["timepoints"][1]["targets"]["T1"]["diameter_mm"] = -4
    document["timepoints"][1]["day"] = 0
    done = assess(write(tmp_path, document))
    assert done.returncode == 2
    assert done.stdout == ""
    # Problems of single values come first, then those of the whole case.
    assert done.stderr.splitlines() == [
        "timepoints[1].targets.T1.diameter_mm: -4 is negative",
        "timepoints[1].day: 0 is not after the previous timepoint's day 0: days must strictly increase",
    ]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("colour=red", "--option colour: unknown option"),
        ("min_sd_days", "--option min_sd_days: expected NAME=VALUE"),
        ("min_sd_days=soon", '--option min_sd_days: "soon" is not a whole number of days'),
        ("randomized=perhaps", '--option randomized: "perhaps" is not true or false'),
        ("choi_size_reference=peak", '--option choi_size_reference: "peak" is not one of baseline, nadir'),
        ("too_small_mm=0", "--option too_small_mm: 0.0 must be more than 0 mm"),
    ],
)
def test_bad_options_exit_2(tmp_path: Path, option: str, message: str) -> None:
    done = assess(write(tmp_path, ISSUE_EXAMPLE), "--option", option)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_options_change_the_result(tmp_path: Path) -> None:
    # SD at day 30 only: NE with the 42-day minimum, SD with --option min_sd_days=28.
    document = {
        "lesions": [{"id": "T1", "role": "target", "organ": "thigh"}],
        "timepoints": [
            {"label": "baseline", "day": 0, "targets": {"T1": {"diameter_mm": 100}}},
            {"label": "1m", "day": 30, "targets": {"T1": {"diameter_mm": 95}}},
        ],
    }
    path = write(tmp_path, document)
    plain = json.loads(assess(path, "--json", "--criteria", "recist1.1").stdout)
    tuned = json.loads(assess(path, "--json", "--criteria", "recist1.1", "--option", "min_sd_days=28").stdout)
    assert (plain["best_overall_response"], tuned["best_overall_response"]) == ("NE", "SD")
    flipped = assess(path, "--json", "--option", "randomized=false", "--option", "too_small_mm=3.5")
    assert flipped.returncode == 0, flipped.stderr


def test_missing_file_and_bad_json(tmp_path: Path) -> None:
    done = assess(tmp_path / "nope.json")
    assert done.returncode == 2 and "file not found" in done.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("{ not json")
    done = assess(bad)
    assert done.returncode == 2 and "not valid JSON (line 1" in done.stderr
    assert "Traceback" not in done.stderr


def test_several_files_each_with_a_heading_and_exit_2_if_any_is_invalid(tmp_path: Path) -> None:
    good = write(tmp_path, ISSUE_EXAMPLE, "good.json")
    broken = json.loads(json.dumps(ISSUE_EXAMPLE))
    broken["lesions"][0]["role"] = "main"
    bad = write(tmp_path, broken, "bad.json")
    done = assess(good, bad)
    assert done.returncode == 2
    assert f"== {good} ==" in done.stdout
    assert f'{bad}: lesions[0].role: "main" is not one of target, non-target' in done.stderr
    done = assess(good, good, "--json")
    assert done.returncode == 0
    assert list(json.loads(done.stdout)) == [str(good)]


# Best overall response (RECIST 1.1, Choi) and progression day of each example, worked out by hand in the README.
EXPECTED = {
    "response.json": ("PR", "PR", None),
    "progression.json": ("SD", "SD", 182),
    "nodes.json": ("CR", "CR", None),
    "mr_follow_up.json": ("SD", "PR", None),
    "non_randomised_confirmation.json": ("PR", "PR", None),
    "equivocal_new_lesion.json": ("PD", "PD", 91),
    "sfrt_choi_density.json": ("SD", "PR", None),
}


def test_every_example_is_covered() -> None:
    assert sorted(path.name for path in EXAMPLES) == sorted(EXPECTED)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples(path: Path) -> None:
    done = assess(path, "--json")
    assert done.returncode == 0, done.stderr
    output = json.loads(done.stdout)
    recist_bor, choi_bor, progression = EXPECTED[path.name]
    assert output["recist1.1"]["best_overall_response"] == recist_bor
    assert output["choi"]["best_overall_response"] == choi_bor
    assert output["recist1.1"]["progression_day"] == progression


def test_all_examples_at_once_as_tables() -> None:
    done = assess(*EXAMPLES)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("== ") == len(EXAMPLES)


def test_table_flags_choi_density_not_evaluable() -> None:
    done = assess(ROOT / "examples" / "mr_follow_up.json", "--criteria", "choi")
    assert done.returncode == 0, done.stderr
    row = next(line for line in done.stdout.splitlines() if line.strip().startswith("3m"))
    # label, day, sum, vs base, vs nadir, HU (none on MR, flagged), density change, target...
    assert row.split()[:8] == ["3m", "91", "70.0", "-12.5%", "-12.5%", "-*", "-", "PR"]
    assert "density not evaluable: this timepoint is MR: no Hounsfield units; Choi rests on size alone" in done.stdout
    assert "(* density not evaluable" in done.stdout


def test_boolean_option_words(tmp_path: Path) -> None:
    path = write(tmp_path, ISSUE_EXAMPLE)
    output = json.loads(assess(path, "--json", "--option", "randomized=no").stdout)
    assert output["recist1.1"]["best_overall_response"] == "SD"  # one PR at day 91, nothing to confirm it; 91 >= 42
