"""The optional fit() helper, evaluate() and accuracy()."""

import numpy as np
import pytest

import minigrad
from minigrad import nn
from minigrad.data import DataLoader, TensorDataset, moons
from minigrad.optim import SGD, Adam
from minigrad.optim.lr_scheduler import StepLR
from minigrad.training import accuracy, evaluate, fit


@pytest.fixture
def problem():
    X, y = moons(200, noise=0.1, seed=0)
    minigrad.manual_seed(0)
    model = nn.MLP(2, [16], 2)
    loader = DataLoader(TensorDataset(X[:160], y[:160]), batch_size=32, shuffle=True, seed=0)
    return model, loader, (X[160:], y[160:])


def test_fit_equals_the_plain_loop(problem):
    model, loader, _ = problem
    start = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    history = fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), loader,
                  epochs=3, progress=False)

    twin = nn.MLP(2, [16], 2)
    twin.load_state_dict(start)
    optimizer, loss_fn = SGD(twin.parameters(), lr=0.1), nn.CrossEntropyLoss()
    twin_loader = DataLoader(loader.dataset, batch_size=32, shuffle=True, seed=0)
    epoch_losses = []
    for _ in range(3):
        total = 0.0
        for xb, yb in twin_loader:
            optimizer.zero_grad()
            loss = loss_fn(twin(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * xb.shape[0]
        epoch_losses.append(total / 160)
    np.testing.assert_allclose(history["loss"], epoch_losses, rtol=1e-6)
    for key, value in twin.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[key].numpy(), value.numpy(), rtol=1e-6)


def test_fit_learns_and_records_validation(problem):
    model, loader, val = problem
    history = fit(model, nn.CrossEntropyLoss(), Adam(model.parameters(), lr=0.02), loader,
                  epochs=15, val_data=val, metric="accuracy", progress=False)
    assert len(history["loss"]) == len(history["val_loss"]) == len(history["val_metric"]) == 15
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["val_metric"][-1] > 0.9
    assert history["val_loss"][history["best_epoch"]] == min(history["val_loss"])


def test_early_stopping_restores_best_weights(problem):
    model, loader, val = problem
    # A learning rate far too high makes the validation loss blow up after the first epochs.
    history = fit(model, nn.CrossEntropyLoss(), SGD(model.parameters(), lr=50.0), loader,
                  epochs=30, val_data=val, patience=2, progress=False)
    assert "stopped_epoch" in history
    assert len(history["loss"]) == history["stopped_epoch"] + 1 < 30
    best = min(history["val_loss"])
    assert evaluate(model, nn.CrossEntropyLoss(), val)["loss"] == pytest.approx(best, rel=1e-5)


def test_fit_steps_the_scheduler_and_shows_progress(problem, capsys):
    model, loader, _ = problem
    optimizer = SGD(model.parameters(), lr=0.1)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=4,
                  scheduler=StepLR(optimizer, step_size=2, gamma=0.5))
    assert history["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.05])
    assert "loss=" in capsys.readouterr().err


def test_evaluate_restores_training_mode(problem):
    model, _, val = problem
    model.train()
    result = evaluate(model, nn.CrossEntropyLoss(), val, metric=accuracy, batch_size=7)
    assert model.training
    with minigrad.no_grad():
        logits = model(minigrad.tensor(val[0]))
    assert result["metric"] == pytest.approx(accuracy(logits, val[1]))
    full = nn.CrossEntropyLoss()(logits, minigrad.tensor(val[1])).item()
    assert result["loss"] == pytest.approx(full, rel=1e-5)


def test_accuracy():
    logits = np.array([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0]])
    assert accuracy(logits, np.array([0, 1, 1])) == pytest.approx(2 / 3)
    assert accuracy(minigrad.tensor([[0.5], [-1.0]]), minigrad.tensor([1.0, 1.0])) == 0.5
    with pytest.raises(ValueError, match="3 predictions for 2 targets"):
        accuracy(logits, np.array([0, 1]))


def test_fit_argument_checks(problem):
    model, loader, _ = problem
    optimizer = SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="val_data"):
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=1, patience=2)
    with pytest.raises(ValueError, match="epochs"):
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=0)
    with pytest.raises(ValueError, match="unknown metric"):
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=1, val_data=(np.zeros((2, 2),
            np.float32), np.zeros(2, np.int64)), metric="f1")
