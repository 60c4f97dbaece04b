"""The README screenshots render offscreen with CT and MR phantoms and every scripted drawing measures."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QImage

from sfrt_reader.ui import screenshots


def test_screenshots_render_with_all_drawings(tmp_path: Path, qapp) -> None:  # type: ignore[no-untyped-def]
    notes = screenshots.render_ct(tmp_path, tmp_path) + screenshots.render_mr(tmp_path, tmp_path)
    assert notes == []
    for name in ("workstation-ct.png", "workstation-mr.png"):
        image = QImage(str(tmp_path / name))
        assert (image.width(), image.height()) == screenshots.SIZE
        # mostly dark (reading-room theme), but not blank: the images and text are there
        grey = [
            image.pixelColor(x, y).value() for x in range(0, image.width(), 37) for y in range(0, image.height(), 29)
        ]
        assert sum(v < 60 for v in grey) > 0.5 * len(grey)
        assert max(grey) > 200


def test_reading_screenshots_from_the_demo_database(tmp_path: Path, demo_images: Path, qapp) -> None:  # type: ignore[no-untyped-def]
    from sfrt_reader.ui import reading_screenshots

    demo = tmp_path / "demo"
    demo.mkdir()
    (demo / "trial").symlink_to(demo_images, target_is_directory=True)
    assert reading_screenshots.main([str(demo), str(tmp_path / "shots")]) == 0
    shot = QImage(str(tmp_path / "shots" / "reading-ct.png"))
    assert (shot.width(), shot.height()) == reading_screenshots.SIZE
    linked = QImage(str(tmp_path / "shots" / "linked.png"))
    assert (linked.width(), linked.height()) == reading_screenshots.SIZE
    for name in ("login.png", "worklist.png", "adjudication.png", "reformats.png", "lesion-3d.png"):
        assert QImage(str(tmp_path / "shots" / name)).width() > 300
    # the scripted read was made on a copy: the demo database itself still has no read
    from sfrt_reader.reading import ReadingService, open_database

    service = ReadingService(open_database(demo / "demo-central.sqlite"))
    assert service.list_reads() == []
