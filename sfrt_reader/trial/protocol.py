"""The trial protocol, read from a TOML file: schedule and windows, criteria options, reading paradigm.

A protocol is data, not code, so that a site or a central review can read the exact rules a database was set up
with (the text is stored in the database at `trial init`), and so that another trial needs a file, not a release.
"""

from __future__ import annotations

import itertools
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from sfrt_reader.trial.errors import ProtocolError
from sfrt_reader.trial.options import CriteriaOptions

PARADIGMS = ("local", "central")
CRITERIA = ("recist1.1", "choi")
ADJUDICATION_TRIGGERS = ("best_overall_response", "progression_day")


@dataclass(frozen=True)
class Timepoint:
    """A scheduled follow-up: nominal date `months_after_rt_end` calendar months after RT end, +/- `window_days`."""

    label: str
    months_after_rt_end: int
    window_days: int
    primary: bool = False


@dataclass(frozen=True)
class BaselineRule:
    """Baseline imaging: before RT start, at most `max_days_before_rt_start` days before it."""

    label: str = "baseline"
    max_days_before_rt_start: int = 42
    max_course_days: int = 35


@dataclass(frozen=True)
class CentralReview:
    """Blinded independent central review: readers per subject and when the adjudicator is called."""

    readers_per_subject: int = 2
    adjudication: bool = True
    adjudicate_on: tuple[str, ...] = ADJUDICATION_TRIGGERS
    adjudicate_criteria: tuple[str, ...] = CRITERIA


@dataclass(frozen=True)
class Protocol:
    """Everything the reading layer needs to know about a trial's imaging rules."""

    trial_id: str
    title: str
    arms: tuple[str, ...]
    baseline: BaselineRule
    timepoints: tuple[Timepoint, ...]
    criteria: tuple[str, ...]
    options: CriteriaOptions
    default_paradigm: str
    central: CentralReview
    source_text: str = field(default="", repr=False, compare=False)

    def labels(self) -> list[str]:
        """Timepoint labels in reading order, baseline first."""
        return [self.baseline.label, *(t.label for t in self.timepoints)]

    def order_of(self, label: str) -> int:
        """Position of a label in the reading order; a label not in this protocol is refused."""
        labels = self.labels()
        if label not in labels:
            raise ProtocolError(
                f"timepoint {label!r} is not in protocol {self.trial_id} (known: {', '.join(labels[:8])}, ...)"
            )
        return labels.index(label)


def _expand_follow_up(rules: list[dict[str, Any]]) -> list[Timepoint]:
    out: list[Timepoint] = []
    for i, rule in enumerate(rules):
        try:
            every, first, last, window = (
                int(rule["every_months"]),
                int(rule["from_month"]),
                int(rule["to_month"]),
                int(rule["window_days"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ProtocolError(
                f"follow_up[{i}]: needs integer every_months, from_month, to_month, window_days ({error})"
            ) from None
        if every <= 0 or first <= 0 or last < first:
            raise ProtocolError(f"follow_up[{i}]: every_months must be > 0 and from_month <= to_month")
        out.extend(Timepoint(f"{m}m", m, window) for m in range(first, last + 1, every))
    return out


def parse_protocol(text: str, source: str = "protocol") -> Protocol:
    """Parse and validate a protocol's TOML text; every problem names its key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ProtocolError(f"{source}: not valid TOML ({error})") from None
    try:
        trial = data["trial"]
        baseline = BaselineRule(**data.get("baseline", {}))
        timepoints = [
            Timepoint(
                label=str(t["label"]),
                months_after_rt_end=int(t["months_after_rt_end"]),
                window_days=int(t["window_days"]),
                primary=bool(t.get("primary", False)),
            )
            for t in data.get("timepoints", [])
        ]
    except (KeyError, TypeError, ValueError) as error:
        raise ProtocolError(f"{source}: missing or malformed entry ({error})") from None
    timepoints += _expand_follow_up(data.get("follow_up", []))
    timepoints.sort(key=lambda t: t.months_after_rt_end)
    _check_schedule(baseline, timepoints, source)
    criteria_table = data.get("criteria", {})
    criteria = tuple(criteria_table.get("assess", CRITERIA))
    if not criteria or any(c not in CRITERIA for c in criteria):
        raise ProtocolError(f"{source}: criteria.assess must list some of {', '.join(CRITERIA)}")
    options = CriteriaOptions.from_mapping(criteria_table.get("options", {}))
    reading = data.get("reading", {})
    paradigm = reading.get("default_paradigm", "local")
    if paradigm not in PARADIGMS:
        raise ProtocolError(f"{source}: reading.default_paradigm must be one of {', '.join(PARADIGMS)}")
    central_table = reading.get("central", {})
    central = CentralReview(
        readers_per_subject=int(central_table.get("readers_per_subject", 2)),
        adjudication=bool(central_table.get("adjudication", True)),
        adjudicate_on=tuple(central_table.get("adjudicate_on", ADJUDICATION_TRIGGERS)),
        adjudicate_criteria=tuple(central_table.get("adjudicate_criteria", criteria)),
    )
    if central.readers_per_subject not in (1, 2):
        raise ProtocolError(f"{source}: reading.central.readers_per_subject must be 1 or 2")
    if any(t not in ADJUDICATION_TRIGGERS for t in central.adjudicate_on):
        raise ProtocolError(f"{source}: reading.central.adjudicate_on must list some of {ADJUDICATION_TRIGGERS}")
    if any(c not in criteria for c in central.adjudicate_criteria):
        raise ProtocolError(f"{source}: reading.central.adjudicate_criteria must be among criteria.assess")
    return Protocol(
        trial_id=str(trial["id"]),
        title=str(trial.get("title", "")),
        arms=tuple(str(a) for a in trial.get("arms", [])),
        baseline=baseline,
        timepoints=tuple(timepoints),
        criteria=criteria,
        options=options,
        default_paradigm=paradigm,
        central=central,
        source_text=text,
    )


def _check_schedule(baseline: BaselineRule, timepoints: list[Timepoint], source: str) -> None:
    """Labels unique, windows positive and not overlapping (a date must never fit two timepoints)."""
    labels = [baseline.label, *(t.label for t in timepoints)]
    duplicates = sorted({x for x in labels if labels.count(x) > 1})
    if duplicates:
        raise ProtocolError(f"{source}: timepoint labels used twice: {', '.join(duplicates)}")
    if baseline.max_days_before_rt_start <= 0 or baseline.max_course_days <= 0:
        raise ProtocolError(f"{source}: baseline day limits must be positive")
    for t in timepoints:
        if t.months_after_rt_end <= 0 or t.window_days < 0:
            raise ProtocolError(f"{source}: timepoint {t.label}: months must be > 0 and window_days >= 0")
    for a, b in itertools.pairwise(timepoints):
        # Calendar months are 28-31 days; the tightest gap between nominal dates is 28 days per month.
        gap_days = 28 * (b.months_after_rt_end - a.months_after_rt_end)
        if a.window_days + b.window_days >= gap_days:
            raise ProtocolError(f"{source}: the windows of {a.label} and {b.label} overlap; narrow them")


def bundled_protocols() -> list[str]:
    """Names of the protocols shipped with sfrt-reader (usable as `--protocol NAME`)."""
    folder = resources.files("sfrt_reader.resources") / "protocols"
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def load_protocol(name_or_path: str | Path) -> Protocol:
    """A bundled protocol by name (e.g. "NCT06980259") or a TOML file by path."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise ProtocolError(f"cannot read protocol file {path}: {error.strerror}") from None
        return parse_protocol(text, source=path.name)
    name = str(name_or_path)
    if name not in bundled_protocols():
        raise ProtocolError(
            f"no bundled protocol named {name!r} (bundled: {', '.join(bundled_protocols())}); give a .toml path"
        )
    text = (resources.files("sfrt_reader.resources") / "protocols" / f"{name}.toml").read_text(encoding="utf-8")
    return parse_protocol(text, source=f"{name}.toml")
