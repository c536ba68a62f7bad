"""SGD updates a whole parameter group in one backend call; these check that path against
PyTorch in float32, its fallback for mixed groups, and its version-counter bookkeeping."""

import numpy as np
import pytest
import torch

import minigrad
from minigrad.optim import SGD


def mlp_pair(dtype=np.float32):
    """The same small MLP in minigrad and in PyTorch, and one batch of data."""
    minigrad.manual_seed(0)
    ours = minigrad.nn.Sequential(minigrad.nn.Linear(6, 5), minigrad.nn.ReLU(),
                                  minigrad.nn.Linear(5, 3))
    theirs = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    with torch.no_grad():
        for mine, reference in zip(ours.parameters(), theirs.parameters(), strict=True):
            reference.copy_(torch.from_numpy(mine.numpy()))
    if dtype == np.float64:
        ours, theirs = ours.double(), theirs.double()
    rng = np.random.default_rng(5)
    x = rng.standard_normal((8, 6)).astype(dtype)
    y = rng.integers(0, 3, size=8)
    return ours, theirs, x, y


@pytest.mark.parametrize("options", [dict(lr=0.1), dict(lr=0.1, momentum=0.9, nesterov=True),
                                     dict(lr=0.05, momentum=0.5, dampening=0.2,
                                          weight_decay=0.01, maximize=True)],
                         ids=["plain", "nesterov", "all"])
def test_float32_training_matches_torch(options):
    ours, theirs, x, y = mlp_pair()
    our_optimizer = SGD(ours.parameters(), **options)
    their_optimizer = torch.optim.SGD(theirs.parameters(), foreach=False, **options)
    for _ in range(5):
        for model, optimizer, library in ((ours, our_optimizer, minigrad),
                                          (theirs, their_optimizer, torch)):
            optimizer.zero_grad()
            library.nn.functional.cross_entropy(model(library.tensor(x)),
                                                library.tensor(y)).backward()
            optimizer.step()
    for mine, reference in zip(ours.parameters(), theirs.parameters(), strict=True):
        assert mine.dtype == minigrad.float32
        np.testing.assert_allclose(mine.numpy(), reference.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)
    state = our_optimizer.state[next(iter(ours.parameters()))]
    assert ("momentum_buffer" in state) == ("momentum" in options)


def test_a_group_mixing_dtypes_is_updated_one_parameter_at_a_time():
    values = [np.array([1.0, -2.0], np.float32), np.array([0.5, 3.0])]
    params = [minigrad.tensor(value, requires_grad=True) for value in values]
    references = [torch.tensor(value, requires_grad=True) for value in values]
    optimizer = SGD(params, lr=0.1, momentum=0.9)
    reference_optimizer = torch.optim.SGD(references, lr=0.1, momentum=0.9, foreach=False)
    for _ in range(3):
        for group, opt, library in ((params, optimizer, minigrad),
                                    (references, reference_optimizer, torch)):
            opt.zero_grad()
            sum((p * p * p).sum().to(library.float64) for p in group).backward()
            opt.step()
    for mine, reference in zip(params, references, strict=True):
        assert mine.dtype.name == str(reference.dtype).removeprefix("torch.")
        np.testing.assert_allclose(mine.numpy(), reference.detach().numpy(), rtol=1e-6)


# each optimizer's group update, a state buffer it writes in place and that buffer's version
# after the first step (Adagrad's sum was filled in place once before)
WRITERS = [(SGD, dict(lr=0.1, momentum=0.9), "momentum_buffer", 1),
           (minigrad.optim.Adam, dict(lr=0.1), "exp_avg", 1),
           (minigrad.optim.RMSprop, dict(lr=0.1), "square_avg", 1),
           (minigrad.optim.Adagrad, dict(lr=0.1), "sum", 2)]


@pytest.mark.parametrize("optimizer_class, options, buffer, buffer_version", WRITERS,
                         ids=[writer[0].__name__ for writer in WRITERS])
def test_the_update_counts_as_an_in_place_write(optimizer_class, options, buffer,
                                                buffer_version):
    weight = minigrad.tensor(np.ones((2, 2), np.float32), requires_grad=True)
    optimizer = optimizer_class([weight], **options)
    (weight * weight).sum().backward()
    saved_by_graph = (weight * weight).sum()  # saves weight at its current version
    version = weight._version
    optimizer.step()
    assert weight._version == version + 1
    assert optimizer.state[weight][buffer]._version == buffer_version
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        saved_by_graph.backward()


def test_an_expanded_parameter_is_refused_with_pytorchs_message():
    param = minigrad.tensor([1.0]).expand(3).detach().requires_grad_()
    param.grad = minigrad.ones(3)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        SGD([param], lr=0.1).step()


@pytest.mark.parametrize("name, options", [("Adam", dict(lr=0.01, amsgrad=True)),
                                           ("AdamW", dict(lr=0.01, weight_decay=0.1))])
def test_float32_adam_training_matches_torch(name, options):
    ours, theirs, x, y = mlp_pair()
    our_optimizer = getattr(minigrad.optim, name)(ours.parameters(), **options)
    their_optimizer = getattr(torch.optim, name)(theirs.parameters(), foreach=False, **options)
    for _ in range(5):
        for model, optimizer, library in ((ours, our_optimizer, minigrad),
                                          (theirs, their_optimizer, torch)):
            optimizer.zero_grad()
            library.nn.functional.cross_entropy(model(library.tensor(x)),
                                                library.tensor(y)).backward()
            optimizer.step()
    for mine, reference in zip(ours.parameters(), theirs.parameters(), strict=True):
        np.testing.assert_allclose(mine.numpy(), reference.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)
    assert our_optimizer.state[next(iter(ours.parameters()))]["step"] == 5
