"""Module bookkeeping: registration, traversal, modes, gradients, state_dict, devices,
dtypes, repr and hooks."""

import numpy as np
import pytest
import torch

import minigrad
import minigrad.nn as nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.norm = nn.BatchNorm1d(4)
        self.scale = nn.Parameter(minigrad.ones((4,)))
        self.register_buffer("steps", minigrad.zeros(()))
        self.register_buffer("cache", minigrad.zeros((2,)), persistent=False)
        self.plain = [1, 2]

    def forward(self, x):
        return self.norm(self.fc(x)) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(4, 2))

    def forward(self, x):
        return self.head(self.block(x))


def test_parameter_is_a_tensor_that_requires_grad():
    p = nn.Parameter(minigrad.zeros((2, 3)))
    assert isinstance(p, minigrad.Tensor) and isinstance(p, nn.Parameter)
    assert p.requires_grad and p.is_leaf and p.shape == (2, 3)
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert type(p * 2) is minigrad.Tensor
    frozen = nn.Parameter(minigrad.zeros((1,)), requires_grad=False)
    assert not frozen.requires_grad
    with pytest.raises(TypeError, match="floating point"):
        nn.Parameter(minigrad.zeros((2,), dtype=minigrad.int64))


def test_parameter_shares_storage_with_its_data():
    data = minigrad.zeros((3,))
    p = nn.Parameter(data)
    data.fill_(2.0)
    np.testing.assert_array_equal(p.numpy(), [2.0, 2.0, 2.0])


def test_attribute_assignment_registers_parameters_modules_and_buffers():
    net = Net()
    names = [name for name, _ in net.named_parameters()]
    assert names == ["block.scale", "block.fc.weight", "block.fc.bias", "block.norm.weight",
                     "block.norm.bias", "head.1.weight", "head.1.bias"]
    assert len(list(net.parameters())) == 7
    assert [name for name, _ in net.named_buffers()] == [
        "block.steps", "block.cache", "block.norm.running_mean", "block.norm.running_var",
        "block.norm.num_batches_tracked"]
    assert [name for name, _ in net.named_children()] == ["block", "head"]
    assert [name for name, _ in net.named_modules()] == [
        "", "block", "block.fc", "block.norm", "head", "head.0", "head.1"]
    assert list(net.children())[0] is net.block
    assert len(list(net.modules())) == 7
    assert net.block.plain == [1, 2]
    assert [name for name, _ in net.block.named_parameters(recurse=False)] == ["scale"]


def test_shared_parameters_and_modules_are_listed_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, shared)
    assert len(list(model.parameters())) == 2
    assert len(list(model.modules())) == 2


def test_reassignment_and_deletion_update_the_registries():
    block = Block()
    with pytest.raises(TypeError, match="cannot assign Tensor as parameter 'scale'"):
        block.scale = minigrad.ones((4,))
    block.scale = None
    assert "scale" not in dict(block.named_parameters())
    block.fc = nn.Identity()
    assert "fc.weight" not in dict(block.named_parameters())
    del block.norm
    assert not hasattr(block, "norm")
    with pytest.raises(TypeError, match="buffer 'steps'"):
        block.steps = 3


def test_assigning_before_super_init_is_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="super\\(\\).__init__\\(\\)"):
        Broken()


def test_train_and_eval_propagate_to_every_submodule():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_zero_grad_sets_none_by_default_or_zeros_in_place():
    net = Net()
    net(minigrad.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_call_records_the_module_stack_on_graph_nodes():
    net = Net()
    out = net(minigrad.randn(2, 3))
    # the last op ran inside head.1 (a Linear) inside head inside net
    assert out.grad_fn.module_stack == (net, net.head, net.head[1])


def test_forward_hooks_can_observe_and_be_removed():
    layer = nn.Linear(2, 2)
    seen = []
    handle = layer.register_forward_hook(lambda m, inputs, out: seen.append(out.shape))
    layer(minigrad.randn(3, 2))
    handle.remove()
    layer(minigrad.randn(3, 2))
    assert seen == [(3, 2)]


def test_state_dict_holds_parameters_and_persistent_buffers_in_pytorch_order():
    keys = list(Net().state_dict())
    assert keys == [
        "block.scale", "block.steps", "block.fc.weight", "block.fc.bias", "block.norm.weight",
        "block.norm.bias", "block.norm.running_mean", "block.norm.running_var",
        "block.norm.num_batches_tracked", "head.1.weight", "head.1.bias"]
    state = Net().state_dict()
    assert not any(t.requires_grad for t in state.values())


def test_state_dict_round_trip_reproduces_outputs():
    minigrad.manual_seed(0)
    source, target = Net(), Net()
    source(minigrad.randn(6, 3))  # moves BatchNorm's running statistics
    result = target.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (name, a), b in zip(source.state_dict().items(), target.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)
    source.eval(), target.eval()
    x = minigrad.randn(4, 3)
    np.testing.assert_array_equal(source(x).numpy(), target(x).numpy())


def test_load_state_dict_copies_values_not_references():
    source, target = nn.Linear(2, 2), nn.Linear(2, 2)
    target.load_state_dict(source.state_dict())
    with minigrad.no_grad():
        source.weight.fill_(5.0)
    assert not np.any(target.weight.numpy() == 5.0)


def test_load_state_dict_strict_errors_name_keys_and_shapes():
    model = nn.Linear(3, 2)
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    with pytest.raises(ValueError, match="missing key\\(s\\): 'bias'"):
        model.load_state_dict({"weight": state["weight"]})
    with pytest.raises(ValueError, match="unexpected key\\(s\\): 'extra'"):
        model.load_state_dict({**state, "extra": np.zeros(1)})
    with pytest.raises(ValueError, match=r"'weight'.*\(3, 3\).*\(2, 3\)"):
        model.load_state_dict({**state, "weight": np.zeros((3, 3))})
    with pytest.raises(ValueError, match="size mismatch"):  # also when not strict
        model.load_state_dict({"weight": np.zeros((3, 3))}, strict=False)
    result = model.load_state_dict({"weight": np.ones((2, 3)), "extra": 1.0}, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(model.weight.numpy(), np.ones((2, 3)))


def test_load_state_dict_from_equivalent_torch_model():
    torch.manual_seed(0)
    reference = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.BatchNorm1d(5),
                                    torch.nn.ReLU(), torch.nn.Linear(5, 2)).double()
    reference(torch.randn(8, 3, dtype=torch.float64))  # non-trivial running statistics
    reference.eval()
    model = nn.Sequential(nn.Linear(3, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 2))
    model.double().eval()
    model.load_state_dict({k: v.numpy() for k, v in reference.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 3))
    expected = reference(torch.tensor(x)).detach().numpy()
    out = model(minigrad.tensor(x, dtype=minigrad.float64)).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    assert model[1].num_batches_tracked.item() == 1


def test_double_and_float_cast_parameters_and_float_buffers_only():
    net = Net().double()
    assert all(p.dtype == minigrad.float64 for p in net.parameters())
    assert net.block.norm.running_mean.dtype == minigrad.float64
    assert net.block.norm.num_batches_tracked.dtype == minigrad.int64
    parameter = net.block.fc.weight
    net.float()
    assert net.block.fc.weight is parameter  # the same object, so optimizers stay valid
    assert all(p.dtype == minigrad.float32 for p in net.parameters())
    assert net.to(minigrad.float64).block.fc.bias.dtype == minigrad.float64


def test_to_cpu_keeps_everything_in_place():
    net = Net()
    weight = net.block.fc.weight
    assert net.to("cpu") is net and net.cpu() is net
    assert net.block.fc.weight is weight and weight.device == "cpu"


@pytest.mark.skipif(not minigrad.cuda.is_available(), reason="needs CUDA")
def test_cuda_moves_parameters_and_buffers():
    net = Net().cuda()
    assert all(t.device == "cuda" for t in net.state_dict().values())
    assert net.cpu().block.fc.weight.device == "cpu"


def test_repr_matches_pytorchs_layout():
    ours = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(16, 10, bias=False), nn.Dropout(0.25),
                         nn.LeakyReLU(0.1), nn.Softmax(dim=1), nn.ReLU(inplace=True),
                         nn.LeakyReLU(0.2, inplace=True), nn.ELU(inplace=True))
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(),
                                 torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                                 torch.nn.Linear(16, 10, bias=False), torch.nn.Dropout(0.25),
                                 torch.nn.LeakyReLU(0.1), torch.nn.Softmax(dim=1),
                                 torch.nn.ReLU(inplace=True),
                                 torch.nn.LeakyReLU(0.2, inplace=True),
                                 torch.nn.ELU(inplace=True))
    assert repr(ours) == repr(theirs)
    assert repr(Net()) == (
        "Net(\n  (block): Block(\n    (fc): Linear(in_features=3, out_features=4, bias=True)\n"
        "    (norm): BatchNorm1d(4, eps=1e-05, momentum=0.1, affine=True, bias=True, "
        "track_running_stats=True)\n  )\n  (head): Sequential(\n    (0): ReLU()\n"
        "    (1): Linear(in_features=4, out_features=2, bias=True)\n  )\n)")


def test_sequential_and_module_list_containers():
    layers = [nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3 and model[-1] is layers[2] and list(model) == layers
    assert isinstance(model[1:], nn.Sequential) and len(model[1:]) == 2
    model.append(nn.Sigmoid())
    assert [name for name, _ in model.named_children()] == ["0", "1", "2", "3"]
    with pytest.raises(IndexError):
        model[4]
    with pytest.raises(TypeError, match="argument 0 is int"):
        nn.Sequential(3)
    out = model(minigrad.randn(5, 2))
    assert out.shape == (5, 1)

    class Tower(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList(nn.Linear(2, 2) for _ in range(3))

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    tower = Tower()
    assert len(list(tower.parameters())) == 6
    assert "layers.2.bias" in tower.state_dict()
    assert tower(minigrad.randn(1, 2)).shape == (1, 2)
