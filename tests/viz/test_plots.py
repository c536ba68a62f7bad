"""The matplotlib plots write non-empty PNG files and reject bad input clearly."""

import numpy as np
import pytest

from minigrad.scalar import MLP, Value
from minigrad.viz import plot_activations, plot_decision_boundary, plot_grad_flow, plot_history


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _assert_png(path):
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG") and len(data) > 2_000


def test_plot_history_groups_train_and_validation(tmp_path):
    history = {"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.7], "acc": [0.5, 0.7, 0.8]}
    figure = plot_history(history, path=tmp_path / "history.png")
    _assert_png(tmp_path / "history.png")
    titles = [axis.get_title() for axis in figure.axes]
    assert titles == ["loss", "acc"]
    assert len(figure.axes[0].lines) == 2
    per_epoch = [{"loss": 1.0, "val_loss": 2.0}, {"loss": 0.5, "val_loss": 1.5}]
    assert len(plot_history(per_epoch).axes) == 1
    with pytest.raises(ValueError, match="empty history"):
        plot_history({})


def test_decision_boundary_with_a_callable(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    seen = {}

    def model(points):
        seen["shape"] = points.shape
        return points[:, 0] + points[:, 1]

    plot_decision_boundary(model, X, y, resolution=30, path=tmp_path / "boundary.png")
    assert seen["shape"] == (900, 2)
    _assert_png(tmp_path / "boundary.png")


def test_decision_boundary_with_a_scalar_mlp_and_class_scores(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20, 2))
    y = (X[:, 0] > 0).astype(int)
    plot_decision_boundary(MLP(2, [4, 1], seed=0), X, y, resolution=20,
                           path=tmp_path / "mlp.png")
    _assert_png(tmp_path / "mlp.png")

    def three_classes(points):
        return np.stack([points[:, 0], points[:, 1], -points[:, 0]], axis=1)

    plot_decision_boundary(three_classes, X, y, resolution=20, path=tmp_path / "multi.png")
    _assert_png(tmp_path / "multi.png")


def test_decision_boundary_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        plot_decision_boundary(lambda p: p[:, 0], np.zeros((5, 3)), np.zeros(5))
    with pytest.raises(ValueError, match="one row per point"):
        plot_decision_boundary(lambda p: np.zeros(3), np.zeros((5, 2)), np.zeros(5))
    with pytest.raises(TypeError, match="callable"):
        plot_decision_boundary(42, np.zeros((5, 2)), np.zeros(5))


def test_grad_flow_from_a_scalar_mlp_and_from_pairs(tmp_path):
    model = MLP(2, [4, 4, 1], seed=0)
    loss = (model([0.5, -1.0]) - 1.0) ** 2
    loss.backward()
    figure = plot_grad_flow(model, path=tmp_path / "flow.png")
    _assert_png(tmp_path / "flow.png")
    assert [t.get_text() for t in figure.axes[0].get_xticklabels()] == [
        "layer 0", "layer 1", "layer 2"]
    # Bar heights are the mean and max |grad| of each layer.
    grads = np.abs([p.grad for p in model.layers[2].parameters()])
    heights = sorted(bar.get_height() for bar in figure.axes[0].patches[2::3])
    assert heights == pytest.approx(sorted([grads.max(), grads.mean()]))
    pairs = [("first", Value(1.0)), ("second", [Value(0.0), Value(2.0)])]
    pairs[0][1].grad = 1e-8
    pairs[1][1][1].grad = 3.0
    plot_grad_flow(pairs, path=tmp_path / "pairs.png")
    _assert_png(tmp_path / "pairs.png")


def test_activation_derivatives_come_from_autograd(tmp_path):
    figure = plot_activations(("sigmoid", "tanh", "relu"), points=41, path=tmp_path / "act.png")
    _assert_png(tmp_path / "act.png")
    sigmoid_derivative = figure.axes[0].lines[1].get_ydata()
    assert max(sigmoid_derivative) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="activations must be among"):
        plot_activations(("swish",))


def test_plots_do_not_stay_pyplots_current_figure(tmp_path):
    # A later plt.plot must start its own figure, not draw over the decision boundary.
    import matplotlib.pyplot as plt

    plt.close("all")
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    figure = plot_decision_boundary(lambda p: p[:, 0] - p[:, 1], X, np.array([0, 0, 1, 1]))
    assert plt.get_fignums() == []
    line_figure = plt.figure()
    assert line_figure is not figure and len(figure.axes) == 1
    plt.close("all")


def test_decision_boundary_names_its_axes_and_classes():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    axis = plot_decision_boundary(lambda p: p[:, 0] - p[:, 1], X, np.array([0, 0, 1, 1]),
                                  xlabel="feature a", ylabel="feature b").axes[0]
    assert (axis.get_xlabel(), axis.get_ylabel()) == ("feature a", "feature b")
    assert [text.get_text() for text in axis.get_legend().get_texts()] == ["class 0", "class 1"]
