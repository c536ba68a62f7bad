"""PyTorch's beginner tutorials, written as their pages write them.

Three scripts follow the official "Tensors", "Build the Neural Network" and "Automatic
Differentiation with torch.autograd" pages step by step (random data replaced by seeded
numpy data so that both libraries see the same numbers). Each takes the library as its
``torch`` argument and returns what the page prints, so ``test_tutorials.py`` can run it
with PyTorch and with ``minigrad`` standing in for it.
"""

from __future__ import annotations

import numpy as np

from tests.port.scripts import data, set_weights


def tensors_tutorial(torch) -> dict:
    """The "Tensors" page: creating, attributes, indexing, joining, arithmetic, bridges."""
    result = {}
    data_list = [[1, 2], [3, 4]]
    x_data = torch.tensor(data_list)
    np_array = np.array(data_list)
    x_np = torch.from_numpy(np_array)
    x_ones = torch.ones_like(x_data)
    x_rand = torch.rand_like(x_data, dtype=torch.float)
    result["x_data"] = x_data.tolist()
    result["x_np"] = x_np.tolist()
    result["x_ones"] = x_ones.tolist()
    result["rand_like_shape"] = list(x_rand.shape)
    result["rand_like_dtype"] = str(x_rand.dtype).split(".")[-1]

    shape = (2, 3,)
    rand_tensor = torch.rand(shape)
    ones_tensor = torch.ones(shape)
    zeros_tensor = torch.zeros(shape)
    result["shapes"] = [list(t.shape) for t in (rand_tensor, ones_tensor, zeros_tensor)]

    tensor = torch.rand(3, 4)
    result["shape"] = list(tensor.shape)
    result["attributes"] = f"{str(tensor.dtype).split('.')[-1]} on {tensor.device}"

    tensor = torch.tensor(data(20, 4, 4))
    result["first_row"] = tensor[0].tolist()
    result["first_column"] = tensor[:, 0].tolist()
    result["last_column"] = tensor[..., -1].tolist()
    tensor[:, 1] = 0
    result["zeroed"] = tensor.tolist()
    t1 = torch.cat([tensor, tensor, tensor], dim=1)
    result["cat"] = t1.tolist()

    # The three ways of a matrix product, and of an elementwise product.
    y1 = tensor @ tensor.T
    y2 = tensor.matmul(tensor.T)
    y3 = torch.rand_like(y1)
    torch.matmul(tensor, tensor.T, out=y3)
    result["matmul"] = [y1.tolist(), y2.tolist(), y3.tolist()]
    z1 = tensor * tensor
    z2 = tensor.mul(tensor)
    result["mul"] = [z1.tolist(), z2.tolist()]

    agg = tensor.sum()
    agg_item = agg.item()
    result["agg"] = [agg_item, float(isinstance(agg_item, float))]
    tensor.add_(5)
    result["add_"] = tensor.tolist()

    # Bridges with numpy share memory: a change to one shows in the other.
    t = torch.ones(5)
    n = t.numpy()
    t.add_(1)
    result["numpy_sees_add_"] = n.tolist()
    n = np.ones(5)
    t = torch.from_numpy(n)
    np.add(n, 1, out=n)
    result["tensor_sees_numpy"] = t.tolist()
    return result


def build_the_neural_network(torch) -> dict:
    """The "Build the Neural Network" page: a Module subclass, its layers one by one, and
    its parameters."""
    nn = torch.nn
    device = (torch.accelerator.current_accelerator().type
              if torch.accelerator.is_available() else "cpu")
    known_device = float(device in ("cpu", "cuda"))
    device = "cpu"  # the page trains on `device`; the comparison keeps both on the host

    class NeuralNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            self.linear_relu_stack = nn.Sequential(
                nn.Linear(28 * 28, 512),
                nn.ReLU(),
                nn.Linear(512, 512),
                nn.ReLU(),
                nn.Linear(512, 10),
            )

        def forward(self, x):
            x = self.flatten(x)
            logits = self.linear_relu_stack(x)
            return logits

    model = NeuralNetwork().to(device)
    set_weights(torch, model, seed=21)
    result = {"printed": str(model), "known_device": known_device}

    X = torch.tensor(data(22, 1, 28, 28), device=device)
    logits = model(X)
    pred_probab = nn.Softmax(dim=1)(logits)
    y_pred = pred_probab.argmax(1)
    result["probabilities"] = pred_probab.tolist()
    result["predicted"] = y_pred.tolist()

    input_image = torch.tensor(data(23, 3, 28, 28))
    flatten = nn.Flatten()
    flat_image = flatten(input_image)
    layer1 = nn.Linear(in_features=28 * 28, out_features=20)
    set_weights(torch, layer1, seed=24)
    hidden1 = layer1(flat_image)
    before = hidden1
    hidden1 = nn.ReLU()(hidden1)
    result["sizes"] = [list(input_image.size()) + list(flat_image.size()) +
                       list(hidden1.size())]
    result["relu"] = [before.tolist(), hidden1.tolist()]

    seq_modules = nn.Sequential(flatten, layer1, nn.ReLU(), nn.Linear(20, 10))
    set_weights(torch, seq_modules[3], seed=25)
    logits = seq_modules(input_image)
    softmax = nn.Softmax(dim=1)
    result["seq_probabilities"] = softmax(logits).tolist()

    result["parameters"] = "\n".join(
        f"Layer: {name} | Size: {tuple(param.size())}" for name, param in model.named_parameters()
    )
    for name, param in model.named_parameters():
        result[f"values {name}"] = param[:2].tolist()
    return result


def autograd_tutorial(torch) -> dict:
    """The "Automatic Differentiation with torch.autograd" page: a one-layer network,
    gradients, disabling tracking, and Jacobian-vector products with accumulation."""
    x = torch.ones(5)  # input tensor
    y = torch.zeros(3)  # expected output
    w = torch.tensor(data(30, 5, 3), requires_grad=True)
    b = torch.tensor(data(31, 3), requires_grad=True)
    z = torch.matmul(x, w) + b
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
    result = {"has_grad_fn": [float(z.grad_fn is not None), float(loss.grad_fn is not None)]}
    loss.backward()
    result["w_grad"] = w.grad.tolist()
    result["b_grad"] = b.grad.tolist()

    z = torch.matmul(x, w) + b
    result["requires_grad"] = [float(z.requires_grad)]
    with torch.no_grad():
        z = torch.matmul(x, w) + b
    result["requires_grad"].append(float(z.requires_grad))
    z = torch.matmul(x, w) + b
    z_det = z.detach()
    result["requires_grad"].append(float(z_det.requires_grad))

    inp = torch.eye(4, 5, requires_grad=True)
    out = (inp + 1).pow(2).t()
    out.backward(torch.ones_like(out), retain_graph=True)
    first = inp.grad.tolist()
    out.backward(torch.ones_like(out), retain_graph=True)
    second = inp.grad.tolist()
    inp.grad.zero_()
    out.backward(torch.ones_like(out), retain_graph=True)
    result["accumulation"] = [first, second, inp.grad.tolist()]
    return result
