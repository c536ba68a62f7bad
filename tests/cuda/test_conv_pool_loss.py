"""Convolution, pooling and the fused loss against PyTorch (CPU) on tiny odd shapes."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

CONV_CASES = [
    # (input shape, weight shape, stride, padding, dilation, groups)
    ((1, 1, 7, 6), (2, 1, 3, 3), (1, 1), (0, 0), (1, 1), 1),
    ((2, 3, 7, 5), (4, 3, 3, 2), (2, 1), (1, 2), (1, 1), 1),
    ((1, 4, 8, 7), (6, 2, 3, 3), (1, 2), (2, 1), (2, 1), 2),
]


@pytest.mark.parametrize("input_shape,weight_shape,stride,padding,dilation,groups",
                         CONV_CASES)
def test_conv2d_forward_and_backward_match_torch(backend, to_device, to_host, rng, input_shape,
                                                 weight_shape, stride, padding, dilation,
                                                 groups):
    x = rng.standard_normal(input_shape).astype(np.float32)
    weight = rng.standard_normal(weight_shape).astype(np.float32)
    bias = rng.standard_normal(weight_shape[0]).astype(np.float32)
    tx = torch.from_numpy(x).requires_grad_()
    tw = torch.from_numpy(weight).requires_grad_()
    expected = F.conv2d(tx, tw, torch.from_numpy(bias), stride, padding, dilation, groups)
    grad_out = rng.standard_normal(tuple(expected.shape)).astype(np.float32)
    expected.backward(torch.from_numpy(grad_out))

    out = backend.conv2d(to_device(x), to_device(weight), to_device(bias), stride, padding,
                         dilation, groups)
    np.testing.assert_allclose(to_host(out), expected.detach().numpy(), rtol=1e-4, atol=1e-4)
    grad_x = backend.conv2d_backward_input(to_device(grad_out), to_device(weight), input_shape,
                                           stride, padding, dilation, groups)
    np.testing.assert_allclose(to_host(grad_x), tx.grad.numpy(), rtol=1e-4, atol=1e-4)
    grad_w = backend.conv2d_backward_weight(to_device(grad_out), to_device(x), weight_shape,
                                            stride, padding, dilation, groups)
    np.testing.assert_allclose(to_host(grad_w), tw.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_conv2d_without_bias_and_bad_groups(backend, to_device, to_host, rng):
    x = rng.standard_normal((1, 2, 5, 5))
    weight = rng.standard_normal((3, 2, 2, 2))
    expected = F.conv2d(torch.from_numpy(x), torch.from_numpy(weight)).numpy()
    out = backend.conv2d(to_device(x), to_device(weight), None, (1, 1), (0, 0), (1, 1), 1)
    np.testing.assert_allclose(to_host(out), expected)
    with pytest.raises(ValueError, match="groups=2"):
        backend.conv2d(to_device(x), to_device(weight), None, (1, 1), (0, 0), (1, 1), 2)


@pytest.mark.parametrize("kernel_size,stride,padding", [
    ((2, 2), (2, 2), (0, 0)),
    ((3, 3), (1, 2), (1, 1)),  # overlapping windows: gradients meet at shared winners
])
def test_max_pool_matches_torch(backend, to_device, to_host, rng, kernel_size, stride, padding):
    x = rng.standard_normal((2, 3, 7, 5)).astype(np.float32)
    tx = torch.from_numpy(x).requires_grad_()
    expected, indices = F.max_pool2d(tx, kernel_size, stride, padding, return_indices=True)
    grad_out = rng.standard_normal(tuple(expected.shape)).astype(np.float32)
    expected.backward(torch.from_numpy(grad_out))
    out, argmax = backend.max_pool2d(to_device(x), kernel_size, stride, padding)
    np.testing.assert_array_equal(to_host(out), expected.detach().numpy())
    np.testing.assert_array_equal(to_host(argmax), indices.numpy())
    grad_x = backend.max_pool2d_backward(to_device(grad_out), argmax, x.shape)
    np.testing.assert_allclose(to_host(grad_x), tx.grad.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("count_include_pad", [True, False])
def test_avg_pool_matches_torch(backend, to_device, to_host, rng, count_include_pad):
    kernel_size, stride, padding = (3, 2), (2, 1), (1, 1)
    x = rng.standard_normal((1, 2, 7, 6)).astype(np.float32)
    tx = torch.from_numpy(x).requires_grad_()
    expected = F.avg_pool2d(tx, kernel_size, stride, padding,
                            count_include_pad=count_include_pad)
    grad_out = rng.standard_normal(tuple(expected.shape)).astype(np.float32)
    expected.backward(torch.from_numpy(grad_out))
    out = backend.avg_pool2d(to_device(x), kernel_size, stride, padding, count_include_pad)
    np.testing.assert_allclose(to_host(out), expected.detach().numpy(), rtol=1e-6, atol=1e-6)
    grad_x = backend.avg_pool2d_backward(to_device(grad_out), x.shape, kernel_size, stride,
                                         padding, count_include_pad)
    np.testing.assert_allclose(to_host(grad_x), tx.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_softmax_cross_entropy_matches_torch(backend, to_device, to_host, rng):
    logits = (rng.standard_normal((5, 7)) * 30).astype(np.float32)  # large: needs the shift
    target = np.array([0, 6, 3, 3, 1], dtype=np.int64)
    grad_loss = rng.standard_normal(5).astype(np.float32)
    tl = torch.from_numpy(logits).requires_grad_()
    expected = F.cross_entropy(tl, torch.from_numpy(target), reduction="none")
    expected.backward(torch.from_numpy(grad_loss))
    loss, probabilities = backend.softmax_cross_entropy(to_device(logits), to_device(target))
    np.testing.assert_allclose(to_host(loss), expected.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(to_host(probabilities), torch.softmax(tl, 1).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    grad = backend.softmax_cross_entropy_backward(probabilities, to_device(target),
                                                  to_device(grad_loss))
    np.testing.assert_allclose(to_host(grad), tl.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_softmax_cross_entropy_reduced_matches_torch(backend, to_device, to_host, rng,
                                                     reduction):
    logits = (rng.standard_normal((6, 4)) * 5).astype(np.float32)
    target = np.array([0, 3, 3, 1, 2, 0], dtype=np.int64)
    grad_loss = np.array(rng.standard_normal(), dtype=np.float32)
    tl = torch.from_numpy(logits).requires_grad_()
    expected = F.cross_entropy(tl, torch.from_numpy(target), reduction=reduction)
    expected.backward(torch.from_numpy(grad_loss))
    loss, probabilities = backend.softmax_cross_entropy(to_device(logits), to_device(target),
                                                        reduction)
    assert tuple(loss.shape) == ()
    np.testing.assert_allclose(to_host(loss), expected.item(), rtol=1e-5, atol=1e-5)
    grad = backend.softmax_cross_entropy_backward(probabilities, to_device(target),
                                                  to_device(grad_loss), reduction)
    np.testing.assert_allclose(to_host(grad), tl.grad.numpy(), rtol=1e-5, atol=1e-6)
