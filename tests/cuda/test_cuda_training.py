"""A small CNN built from minigrad.nn trains on "cuda" exactly as on "cpu"."""

import numpy as np

import minigrad
from minigrad import nn


def train(device, steps=2):
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(3 * 3 * 3, 4))
    model.to(device)
    rng = np.random.default_rng(0)
    x = minigrad.tensor(rng.standard_normal((2, 1, 6, 6)).astype(np.float32), device=device)
    y = minigrad.tensor(np.array([1, 3]), dtype=minigrad.int64, device=device)
    losses = []
    for _ in range(steps):
        loss = nn.CrossEntropyLoss()(model(x), y)
        model.zero_grad()
        loss.backward()
        with minigrad.no_grad():
            for p in model.parameters():
                p.sub_(p.grad * 0.1)
        losses.append(loss.item())
    return losses, [p.numpy() for p in model.parameters()], [p.device for p in
                                                             model.parameters()]


def test_cnn_training_steps_on_cuda_match_cpu():
    cuda_losses, cuda_params, devices = train("cuda")
    cpu_losses, cpu_params, _ = train("cpu")
    assert set(devices) == {"cuda"}
    np.testing.assert_allclose(cuda_losses, cpu_losses, rtol=1e-5)
    assert cuda_losses[1] < cuda_losses[0]
    for ours, reference in zip(cuda_params, cpu_params, strict=True):
        np.testing.assert_allclose(ours, reference, rtol=1e-5, atol=1e-6)
