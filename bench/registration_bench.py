"""Benchmark: rigid registration of a 512 x 512 x 150 CT pair (target: under 20 s on a 2-core machine).

Two thigh phantoms (0.75 mm pixels, 2.5 mm slices, 150 slices) of the same subject in two limb poses are
registered with the default options; printed with the error at the tumour centre against the phantoms' known
poses, and the time each stage took (from the progress messages). References in the same run:
  - a plain SimpleITK rigid registration with the same metric (Mattes mutual information, 32 bins, 10 000 random
    samples a level) and optimiser (conjugate gradient with line search) on the same 2 mm working grid, with
    SimpleITK's own three-level pyramid (shrink 4, 2, 1; smoothing 4, 2, 0 mm) started from the moments of the
    images: its time and its error at the tumour centre;
  - the time of ONE SimpleITK linear resample of the full-resolution follow-up onto the baseline grid.
Prints wall and CPU time (the machine may be shared: CPU time is the steadier figure).

    PYTHONPATH=. python bench/registration_bench.py [--slices 150] [--matrix 512]

With --accuracy it registers every follow-up of the demo trial's three subjects instead (the visit specs and
known poses at --demo-size, 128 by default, as the accuracy test does) and prints, per follow-up, the error at the
tumour centre, its z part, the rotation error and the time; the reference in the same run is linking by table
position (no registration).

    PYTHONPATH=. python bench/registration_bench.py --accuracy [--demo-size 128]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence

import numpy as np
import SimpleITK as sitk

from sfrt_reader.imaging.phantom import Grid, PhantomSpec, Pose, make_phantom_volume
from sfrt_reader.imaging.registration import RegistrationOptions, register
from sfrt_reader.imaging.registration_result import map_point
from sfrt_reader.imaging.sitk_convert import volume_to_sitk, working_image
from sfrt_reader.imaging.volume import Volume

TARGET_S = 20.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--matrix", type=int, default=512)
    parser.add_argument("--slices", type=int, default=150)
    parser.add_argument("--affine", action="store_true", help="add the affine stage")
    parser.add_argument("--accuracy", action="store_true", help="per-follow-up errors on the demo trial")
    parser.add_argument("--demo-size", type=int, default=128, choices=(128, 256, 512))
    args = parser.parse_args()
    if args.accuracy:
        return accuracy(args.demo_size, RegistrationOptions(affine=args.affine))
    pixel = 384.0 / args.matrix
    grid = Grid(
        size=(args.matrix, args.matrix, args.slices),
        pixel_spacing=(pixel, pixel),
        slice_spacing=2.5,
        centre_xy=(0.0, 6.0),
        first_z=-(args.slices - 1) * 2.5 / 2.0,
    )
    t = time.perf_counter()
    base = make_phantom_volume(PhantomSpec(grid=grid, pose=Pose((0.4, -0.3, 1.0), (2.0, -1.0, 0.0), (0, 5, 0))), 1)
    moved = Pose((1.2, -0.8, 3.1), (6.5, -2.0, 4.5), (0.0, 5.0, 0.0))
    follow = make_phantom_volume(PhantomSpec(grid=grid, pose=moved), 1)
    print(f"phantoms: 2 x {base.volume.shape[::-1]} voxels generated in {time.perf_counter() - t:.1f} s")
    print(f"cores available: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}")

    stages: list[tuple[str, float, float]] = []

    def progress(_fraction: float, message: str) -> None:
        if not stages or stages[-1][0] != message:
            stages.append((message, time.perf_counter(), time.process_time()))

    wall, cpu = time.perf_counter(), time.process_time()
    reg = register(base.volume, follow.volume, RegistrationOptions(affine=args.affine), progress=progress)
    end_wall, end_cpu = time.perf_counter(), time.process_time()
    wall, cpu = end_wall - wall, end_cpu - cpu
    centre, truth = base.truth["T1"].centre_lps, np.array(follow.truth["T1"].centre_lps)
    error = float(np.linalg.norm(map_point(reg, centre) - truth))
    print(f"sfrt-reader registration ({reg.method}): wall {wall:.1f} s, CPU {cpu:.1f} s; verdict {reg.verdict}")
    print(f"  error at the tumour centre {error:.2f} mm; checks {reg.checks}")
    for (message, w0, c0), (_, w1, c1) in zip(stages, [*stages[1:], ("", end_wall, end_cpu)], strict=True):
        print(f"    {message:32s} wall {w1 - w0:5.1f} s, CPU {c1 - c0:5.1f} s")

    plain_wall, plain_cpu, plain_error = plain_sitk(base.volume, follow.volume, centre, truth)
    print(
        f"reference: plain SimpleITK rigid registration, same metric and optimiser, 2 mm grid: wall {plain_wall:.1f} s,"
        f" CPU {plain_cpu:.1f} s; error at the tumour centre {plain_error:.2f} mm"
    )

    fixed_img, moving_img = volume_to_sitk(base.volume), volume_to_sitk(follow.volume)
    tx = sitk.Euler3DTransform()
    ref_wall, ref_cpu = time.perf_counter(), time.process_time()
    sitk.Resample(moving_img, fixed_img, tx, sitk.sitkLinear, -1024.0)
    ref_wall, ref_cpu = time.perf_counter() - ref_wall, time.process_time() - ref_cpu
    print(f"reference: one SimpleITK linear resample at full resolution: wall {ref_wall:.1f} s, CPU {ref_cpu:.1f} s")
    met = wall < TARGET_S
    print(f"target: registration under {TARGET_S:.0f} s wall: {'MET' if met else 'NOT MET'} ({wall:.1f} s)")
    return 0


def plain_sitk(
    fixed_volume: Volume, moving_volume: Volume, centre: Sequence[float], truth: np.ndarray
) -> tuple[float, float, float]:
    """(wall s, CPU s, error mm at the tumour centre) of a textbook SimpleITK rigid registration (no body mask, no
    table-axis search, no early stop), timed from the volumes, as `register` is."""
    wall, cpu = time.perf_counter(), time.process_time()
    fixed = working_image(volume_to_sitk(fixed_volume), 2.0)
    moving = working_image(volume_to_sitk(moving_volume), 2.0)
    initial = sitk.CenteredTransformInitializer(
        fixed, moving, sitk.Euler3DTransform(), sitk.CenteredTransformInitializerFilter.MOMENTS
    )
    reg = sitk.ImageRegistrationMethod()
    reg.SetMetricAsMattesMutualInformation(numberOfHistogramBins=32)
    reg.SetMetricSamplingStrategy(reg.RANDOM)
    reg.SetMetricSamplingPercentage(10_000 / fixed.GetNumberOfPixels(), 20_251)
    reg.SetInterpolator(sitk.sitkLinear)
    reg.SetOptimizerAsConjugateGradientLineSearch(learningRate=1.0, numberOfIterations=100)
    reg.SetOptimizerScalesFromPhysicalShift()
    reg.SetShrinkFactorsPerLevel([4, 2, 1])
    reg.SetSmoothingSigmasPerLevel([4.0, 2.0, 0.0])
    reg.SmoothingSigmasAreSpecifiedInPhysicalUnitsOn()
    reg.SetInitialTransform(initial, inPlace=False)
    transform = reg.Execute(fixed, moving)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    mapped = np.asarray(transform.TransformPoint(tuple(float(v) for v in centre)))
    return wall, cpu, float(np.linalg.norm(mapped - truth))


def accuracy(size: int, options: RegistrationOptions) -> int:
    """Every demo follow-up registered to its baseline, against the generator's known poses."""
    from sfrt_reader.imaging.demo_trial import SUBJECTS, visit_specs

    print(f"cores available: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}; demo size {size}")
    print(
        "| subject | modalities | follow-up | error | z part | table position | rotation error | verdict | wall | CPU |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    worst, total_wall, total_cpu = 0.0, 0.0, 0.0
    for subject in SUBJECTS:
        specs = visit_specs(subject, 0, size)
        base = make_phantom_volume(specs[0].spec, specs[0].phantom_seed)
        to_anatomy = np.linalg.inv(specs[0].spec.pose.matrix)
        centre = np.asarray(base.truth["T1"].centre_lps)
        for v in specs[1:]:
            follow = make_phantom_volume(v.spec, v.phantom_seed)
            wall, cpu = time.perf_counter(), time.process_time()
            reg = register(base.volume, follow.volume, options)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            total_wall, total_cpu = total_wall + wall, total_cpu + cpu
            truth_centre = np.asarray(follow.truth["T1"].centre_lps)
            error = map_point(reg, centre) - truth_centre
            truth = v.spec.pose.matrix @ to_anatomy
            residual = reg.affine[:3, :3] @ truth[:3, :3].T
            rotation = np.degrees(np.arccos(np.clip((np.trace(residual) - 1.0) / 2.0, -1.0, 1.0)))
            table = float(np.linalg.norm(centre - truth_centre))
            worst = max(worst, float(np.linalg.norm(error)))
            print(
                f"| {subject.code} | {specs[0].spec.modality} to {v.spec.modality} | {v.label} "
                f"| {np.linalg.norm(error):.2f} mm | {error[2]:+.2f} mm | {table:.1f} mm | {rotation:.2f} deg "
                f"| {reg.verdict} | {wall:.1f} s | {cpu:.1f} s |",
                flush=True,
            )
    print(f"all follow-ups: wall {total_wall:.1f} s, CPU {total_cpu:.1f} s")
    print(f"worst error {worst:.2f} mm; target: every follow-up within 2 mm: {'MET' if worst < 2.0 else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
