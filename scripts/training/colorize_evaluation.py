"""Held-out evaluation of a colorizer against the "predict the mean a*b*" baseline.

``split_columns`` keeps the left part of each image for training and the right part (after a gap, so
no training crop touches it) for evaluation: held-out crops of the same scenes. ``evaluate`` decodes
the held-out L* with the model at a few temperatures and scores the a*b* against the truth with the
plain and the class-rebalanced accuracy AuC (metrics.py), next to the constant mean-a*b* prediction.
"""

import numpy as np

from fixtures import colorize_metrics as metrics
from neural_render.worker.colorize import decode, inference

from training.colorize_training import rebalanced_loss, targets_at_output

TRAIN_FRACTION = 0.7
HELDOUT_START = 0.75


def split_columns(lab_images, train_fraction=TRAIN_FRACTION, heldout_start=HELDOUT_START):
    train = [image[:, :int(image.shape[1] * train_fraction)] for image in lab_images]
    heldout = [image[:, int(image.shape[1] * heldout_start):] for image in lab_images]
    return train, heldout


def mean_ab(lab_images):
    return np.concatenate([image[:, :, 1:].reshape(-1, 2) for image in lab_images]).mean(0)


def evaluate(model, heldout, baseline_ab, device, temperatures=(1.0, decode.DEFAULT_TEMPERATURE, 0.0),
             network_size=inference.DEFAULT_NETWORK_SIZE):
    """{name: {"auc": .., "rebalanced_auc": ..}} for each temperature ("T=0.38") and "mean ab"."""
    truth = np.concatenate([image[:, :, 1:].reshape(-1, 2) for image in heldout])
    centres = model.bin_centres().cpu().numpy()
    scores = {}
    for temperature in temperatures:
        predicted = []
        for image in heldout:
            lightness = image[:, :, 0]
            ab = inference.predict_ab(model, lightness, device, temperature, network_size)
            predicted.append(decode.upsample(ab, *lightness.shape).reshape(-1, 2))
        predicted = np.concatenate(predicted)
        scores[f"T={temperature:g}"] = {"auc": metrics.ab_accuracy_auc(predicted, truth),
                                        "rebalanced_auc": metrics.rebalanced_ab_accuracy_auc(predicted, truth, centres)}
    constant = np.broadcast_to(np.asarray(baseline_ab, np.float32), truth.shape)
    scores["mean ab"] = {"auc": metrics.ab_accuracy_auc(constant, truth),
                         "rebalanced_auc": metrics.rebalanced_ab_accuracy_auc(constant, truth, centres)}
    return scores


def _lab_tensors(lab_image, multiple=8):
    import torch
    height, width = (side // multiple * multiple for side in lab_image.shape[:2])
    tensor = torch.from_numpy(np.ascontiguousarray(lab_image[:height, :width].transpose(2, 0, 1)))[None]
    return targets_at_output(tensor)


def best_constant_logits(train, centres, weights):
    """The input-independent prediction that minimises the rebalanced loss on ``train``:
    log of sum over pixels of w(q*) Z (the weighted mean of the soft targets)."""
    import torch
    from neural_render.worker.colorize.gamut_bins import soft_encode
    total = torch.zeros(len(centres), dtype=torch.float64)
    for image in train:
        _, ab = _lab_tensors(image)
        target = soft_encode(ab, centres)
        pixel_weights = weights[target.argmax(1)]
        total += (target * pixel_weights[:, None]).sum((0, 2, 3)).double()
    return torch.log((total / total.sum()).clamp_min(1e-12)).float()


def heldout_loss(model, heldout, weights, constant_logits=None):
    """Mean rebalanced cross-entropy on the held-out images at their own size (the training
    objective, so the distribution the model predicts is what is scored, whatever the decode), for
    the model and, with ``constant_logits``, for that constant prediction."""
    import torch
    centres = model.bin_centres()
    model.eval()
    model_losses, constant_losses, pixels = 0.0, 0.0, 0
    with torch.no_grad():
        device = centres.device
        for image in heldout:
            lightness, ab = (tensor.to(device) for tensor in _lab_tensors(image))
            logits = model(lightness)
            count = ab.shape[2] * ab.shape[3]
            model_losses += float(rebalanced_loss(logits, ab, centres, weights)) * count
            if constant_logits is not None:
                constant = constant_logits.to(device).view(1, -1, 1, 1).expand_as(logits)
                constant_losses += float(rebalanced_loss(constant, ab, centres, weights)) * count
            pixels += count
    return model_losses / pixels, (constant_losses / pixels if constant_logits is not None else None)
