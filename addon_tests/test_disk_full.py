"""A full disk, for real: outputs written into a 64 KiB tmpfs. Every writer (OpenEXR, Pillow's PNG
and TIFF, the 16-bit PNG encoder) must end with exit 2 "no space left", leave nothing behind and
keep an earlier file of the same name whole. Needs permission to mount (root); skipped otherwise."""

import os
import subprocess

import numpy as np
import pytest
from PIL import Image


@pytest.fixture
def full_disk(tmp_path):
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.strip() or 'not permitted'})")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


@pytest.fixture
def noisy_picture(tmp_path):
    """512x512 noise: incompressible, so every format needs far more than 64 KiB."""
    path = tmp_path / "noise.png"
    Image.fromarray((np.random.default_rng(0).random((512, 512, 3)) * 255).astype(np.uint8)).save(path)
    return path


@pytest.mark.parametrize("suffix", [".exr", ".png", ".tif"])
def test_a_full_disk_is_exit_2_with_nothing_left_behind(cli, capsys, full_disk, noisy_picture, suffix):
    earlier = full_disk / f"earlier{suffix}"
    earlier.write_bytes(b"an earlier output")
    code = cli(["convert", str(noisy_picture), str(earlier)])
    message = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert message[-1].startswith("neural-render: error: ") and "no space left on the device" in message[-1]
    assert "internal error" not in "\n".join(message)
    assert sorted(os.listdir(full_disk)) == [earlier.name], "no partial file stays"
    assert earlier.read_bytes() == b"an earlier output", "the earlier file is untouched"


def test_sixteen_bit_normal_maps_too(cli, capsys, full_disk, tmp_path):
    normal = np.random.default_rng(1).uniform(-1, 1, (256, 256, 3)).astype(np.float32)
    normal /= np.linalg.norm(normal, axis=2, keepdims=True)
    from neural_render.worker.imageio.exr import write_exr
    source = tmp_path / "normal.exr"
    write_exr(str(source), normal * 0.5 + 0.5)
    code = cli(["normal-to-height", "--in", str(source), "--out", str(full_disk / "height.png"), "--bits", "16"])
    assert code == 2, capsys.readouterr().err
    assert os.listdir(full_disk) == []
