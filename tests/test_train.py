"""mininn.train (fit, evaluate, predict, callbacks, History) and the training plots."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import mininn  # noqa: E402
import mininn.functional as F  # noqa: E402
from mininn import Tensor, metrics, nn, optim, plot  # noqa: E402
from mininn.data import DataLoader, TensorDataset  # noqa: E402
from mininn.train import Callback, EarlyStopping, History, evaluate, fit, predict  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def blobs(n_per_class=100, seed=0):
    """Three well-separated Gaussian blobs in 2-D: a linearly separable 3-class problem."""
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 4.0], [-4.0, -2.0], [4.0, -2.0]])
    X = np.concatenate([c + rng.normal(size=(n_per_class, 2)) for c in centres])
    y = np.repeat(np.arange(3), n_per_class)
    order = rng.permutation(len(y))
    return X[order].astype(np.float32), y[order].astype(np.int64)


def mlp(seed=0, n_in=2, n_out=3):
    mininn.manual_seed(seed)
    return nn.Sequential(nn.Linear(n_in, 16), nn.ReLU(), nn.Linear(16, n_out))


def loaders(seed=0, batch_size=32):
    X, y = blobs(seed=seed)
    train = DataLoader(TensorDataset(X[:240], y[:240]), batch_size, shuffle=True, seed=seed)
    val = DataLoader(TensorDataset(X[240:], y[240:]), 25)
    return train, val


class StateRecorder(Callback):
    """Keeps a copy of the parameters after every epoch."""

    def __init__(self):
        self.states = []

    def on_epoch_end(self, epoch, logs):
        self.states.append(self.model.state_dict())


class ModeProbe(nn.Module):
    """Identity layer that records (training mode, grad enabled) at every forward."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def forward(self, x):
        self.calls.append((self.training, mininn.is_grad_enabled()))
        return x


def assert_state_equal(model, state):
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, state[name], err_msg=name)


# ---------------------------------------------------------------------------------------------
# fit
# ---------------------------------------------------------------------------------------------


def test_fit_learns_separable_data():
    train, val = loaders()
    model = mlp()
    opt = optim.Adam(model.parameters(), lr=0.02)
    history = fit(model, nn.CrossEntropyLoss(), opt, train, val, epochs=15, progress=False)
    h = history.history
    assert set(h) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr", "seconds"}
    assert all(len(v) == 15 for v in h.values()) and len(history) == 15
    assert history.epoch == list(range(15))
    assert h["val_accuracy"][-1] > 0.95 and h["accuracy"][-1] > 0.95
    assert h["loss"][-1] < 0.5 * h["loss"][0]
    assert np.sum(np.diff(h["loss"]) < 0) >= 12  # mostly decreasing
    assert h["lr"] == [0.02] * 15
    assert all(s > 0 for s in h["seconds"])
    assert all(isinstance(v, float) for vals in h.values() for v in vals)
    # the recorded validation values are those of the final weights
    final = evaluate(model, val, nn.CrossEntropyLoss())
    assert final["loss"] == pytest.approx(h["val_loss"][-1])
    assert final["accuracy"] == pytest.approx(h["val_accuracy"][-1])


def test_epoch_loss_and_accuracy_are_means_over_examples():
    # lr = 0 keeps the weights fixed, so the epoch's loss must equal the full-data loss even
    # though the batches have unequal sizes (4, 4, 2)
    X, y = blobs(n_per_class=4, seed=1)
    X, y = X[:10], y[:10]
    model = mlp(seed=1)
    loader = DataLoader(TensorDataset(X, y), batch_size=4)
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.0), loader,
                  epochs=1, progress=False)  # fmt: skip
    logits = model(Tensor(X))
    assert history["loss"][0] == pytest.approx(F.cross_entropy(logits, Tensor(y)).item(), rel=1e-6)
    assert history["accuracy"][0] == pytest.approx(metrics.accuracy(logits, y))


def test_scheduler_stepped_once_per_epoch_and_lr_recorded():
    class Counting:
        def __init__(self, inner):
            self.inner, self.calls = inner, 0

        def step(self):
            self.calls += 1
            self.inner.step()

    train, _ = loaders()
    model = mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = Counting(optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5))
    history = fit(model, nn.CrossEntropyLoss(), opt, train, epochs=4, scheduler=sched,
                  progress=False)  # fmt: skip
    assert sched.calls == 4
    np.testing.assert_allclose(history["lr"], [0.1, 0.05, 0.025, 0.0125])
    assert "val_loss" not in history


def test_modes_and_no_grad():
    train, val = loaders()
    probe = ModeProbe()
    model = nn.Sequential(probe, nn.Linear(2, 3))
    opt = optim.SGD(model.parameters(), lr=0.1)
    fit(model, nn.CrossEntropyLoss(), opt, train, val, epochs=2, progress=False)
    n_train, n_val = len(train), len(val)
    assert len(probe.calls) == 2 * (n_train + n_val)
    for epoch in range(2):
        calls = probe.calls[epoch * (n_train + n_val) :][: n_train + n_val]
        assert calls[:n_train] == [(True, True)] * n_train  # training: train mode, grad on
        assert calls[n_train:] == [(False, False)] * n_val  # validation: eval, no_grad
    # fit leaves the model in eval mode
    assert not any(m.training for m in model.modules())

    # evaluate and predict run in eval mode, then restore each module's previous mode
    model.train()
    model[1].eval()
    probe.calls.clear()
    evaluate(model, val)
    predict(model, val)
    assert set(probe.calls) == {(False, False)}
    assert model.training and probe.training and not model[1].training
    assert mininn.is_grad_enabled()


def test_fit_leaves_eval_mode_even_without_validation():
    train, _ = loaders()
    model = nn.Sequential(nn.Linear(2, 8), nn.Dropout(0.5), nn.Linear(8, 3))
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), train,
        progress=False)  # fmt: skip
    assert not model.training and not model[1].training


def test_binary_logits_accuracy():
    X, y = blobs(seed=4)
    keep = y < 2
    X, y = X[keep], y[keep].astype(np.float32).reshape(-1, 1)
    loader = DataLoader(TensorDataset(X, y), 20, shuffle=True, seed=0)
    model = mlp(seed=4, n_out=1)
    history = fit(model, nn.BCEWithLogitsLoss(), optim.Adam(model.parameters(), lr=0.02), loader,
                  loader, epochs=5, progress=False)  # fmt: skip
    assert history["val_accuracy"][-1] > 0.95
    logits = predict(model, DataLoader(TensorDataset(X, y), 64))  # in order, unlike `loader`
    assert logits.shape == (len(y), 1)
    assert history["val_accuracy"][-1] == pytest.approx(metrics.accuracy(logits, y))


def test_regression_without_metrics():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)).astype(np.float32)
    y = (X @ np.array([[1.0], [-2.0], [0.5]], dtype=np.float32)).astype(np.float32)
    loader = DataLoader(TensorDataset(X, y), 16, shuffle=True, seed=0)
    mininn.manual_seed(0)
    model = nn.Linear(3, 1)
    history = fit(model, nn.MSELoss(), optim.SGD(model.parameters(), lr=0.1), loader, loader,
                  epochs=20, metrics=None, progress=False)  # fmt: skip
    assert set(history.history) == {"loss", "val_loss", "lr", "seconds"}
    assert history["loss"][-1] < 1e-3 < history["loss"][0]
    out = predict(model, DataLoader(TensorDataset(X), 10))  # batches (x,) without targets
    assert out.shape == (64, 1)


def test_custom_metrics_and_function_callbacks():
    train, val = loaders()
    model = mlp()

    def error_rate(out, y):
        return float(np.mean(out.argmax(axis=1) != y))

    seen = []
    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=0.02), train,
                  val, epochs=5, metrics=["accuracy", error_rate],
                  callbacks=[lambda epoch, logs: seen.append(epoch) or epoch == 1],
                  progress=False)  # fmt: skip
    assert seen == [0, 1] and len(history) == 2  # returning True stops after epoch 1
    for prefix in ("", "val_"):
        acc, err = history[prefix + "accuracy"], history[prefix + "error_rate"]
        np.testing.assert_allclose(np.add(acc, err), 1.0)
    h2 = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.0), train,
             epochs=1, metrics={"acc": "accuracy", "err": error_rate}, progress=False)  # fmt: skip
    assert {"acc", "err"} <= set(h2.history)


def test_bad_arguments():
    train, val = loaders()
    model = mlp()
    opt = optim.SGD(model.parameters(), lr=0.1)
    loss = nn.CrossEntropyLoss()
    with pytest.raises(ValueError, match="unknown metric"):
        fit(model, loss, opt, train, metrics=["f1_macro"], progress=False)
    with pytest.raises(ValueError, match="distinct"):
        fit(model, loss, opt, train, metrics=[lambda o, y: 0.0, lambda o, y: 1.0], progress=False)
    with pytest.raises(ValueError, match="progress"):
        fit(model, loss, opt, train, progress="yes")
    with pytest.raises(KeyError, match="val_loader"):
        fit(model, loss, opt, train, callbacks=[EarlyStopping()], progress=False)
    with pytest.raises(ValueError, match="tuples"):
        fit(model, loss, opt, [Tensor(np.zeros((2, 2)))], progress=False)
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="best")
    # the default "accuracy" metric refuses regression targets instead of recording nonsense
    X = np.linspace(-1, 1, 8, dtype=np.float32).reshape(8, 1)
    reg = DataLoader(TensorDataset(X, 3 * X), 4)
    lin = nn.Linear(1, 1)
    with pytest.raises(ValueError, match="metrics=None"):
        fit(lin, nn.MSELoss(), optim.SGD(lin.parameters(), lr=0.1), reg, progress=False)


# ---------------------------------------------------------------------------------------------
# EarlyStopping
# ---------------------------------------------------------------------------------------------


def test_early_stopping_stops_and_restores_best_weights():
    # A fifth of the validation labels are wrong (shifted by one class). Learning the blobs
    # first lowers the validation loss, then growing confidence makes the wrong fifth cost
    # more than the rest gains: the validation loss has a minimum part-way through (epoch 5
    # with this seed), and training must stop `patience` epochs after it.
    X, y = blobs(seed=2)
    y_val = y[240:].copy()
    y_val[:12] = (y_val[:12] + 1) % 3
    train = DataLoader(TensorDataset(X[:240], y[:240]), 32, shuffle=True, seed=0)
    val = DataLoader(TensorDataset(X[240:], y_val), 30)
    model = mlp(seed=2)
    recorder = StateRecorder()
    stopper = EarlyStopping(monitor="val_loss", patience=2)
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.01), train,
                  val, epochs=40, callbacks=[recorder, stopper], progress=False)  # fmt: skip
    val_loss = history["val_loss"]
    best = int(np.argmin(val_loss))
    assert 0 < best  # a real minimum, not just the first epoch
    assert len(history) == best + 2 + 1 < 40  # stopped 2 epochs without improvement later
    assert stopper.best_epoch == best and stopper.best == pytest.approx(val_loss[best])
    assert stopper.stopped_epoch == len(history) - 1
    assert len(recorder.states) == len(history)
    assert_state_equal(model, recorder.states[best])  # the best epoch's weights are back
    last = recorder.states[-1]
    assert any(not np.array_equal(last[k], v) for k, v in model.state_dict().items())
    # and the restored model does give the best validation loss
    assert evaluate(model, val, nn.CrossEntropyLoss())["loss"] == pytest.approx(val_loss[best])


def test_early_stopping_logic_on_a_scripted_sequence():
    model = nn.Linear(2, 2)
    stopper = EarlyStopping(monitor="val_accuracy", patience=3)  # auto -> higher is better
    assert stopper.mode == "max"
    stopper.model = model
    stopper.on_train_begin()
    values = [0.50, 0.70, 0.65, 0.70, 0.69, 0.60, 0.99]  # best at epoch 1; 0.70 is no better
    states, stopped_at = [], None
    for epoch, v in enumerate(values):
        model.weight.data = np.full((2, 2), float(epoch), dtype=np.float32)
        states.append(model.state_dict())
        if stopper.on_epoch_end(epoch, {"val_accuracy": v}):
            stopped_at = epoch
            break
    assert stopped_at == 4 and stopper.best_epoch == 1 and stopper.best == 0.70
    stopper.on_train_end()
    assert_state_equal(model, states[1])

    loss_stopper = EarlyStopping(patience=1, restore_best_weights=False, min_delta=0.1)
    assert loss_stopper.mode == "min"
    assert not loss_stopper.on_epoch_end(0, {"val_loss": 1.0})
    assert loss_stopper.on_epoch_end(1, {"val_loss": 0.95})  # better, but by less than 0.1


# ---------------------------------------------------------------------------------------------
# evaluate and predict
# ---------------------------------------------------------------------------------------------


def test_evaluate_and_predict_match_direct_computation():
    X, y = blobs(n_per_class=20, seed=3)
    model = mlp(seed=3)
    loader = DataLoader(TensorDataset(X, y), batch_size=7)  # 60 = 8 * 7 + 4
    with mininn.no_grad():
        logits = model(Tensor(X))
    out = predict(model, loader)
    assert isinstance(out, np.ndarray) and out.shape == (60, 3)
    np.testing.assert_allclose(out, logits.data, rtol=1e-6, atol=1e-6)

    result = evaluate(model, loader, nn.CrossEntropyLoss())
    assert set(result) == {"loss", "accuracy"}
    assert result["loss"] == pytest.approx(F.cross_entropy(logits, Tensor(y)).item(), rel=1e-5)
    assert result["accuracy"] == pytest.approx(metrics.accuracy(logits, y))
    assert evaluate(model, loader) == {"accuracy": pytest.approx(result["accuracy"])}
    assert set(evaluate(model, loader, nn.CrossEntropyLoss(), metrics=())) == {"loss"}
    with pytest.raises(ValueError, match="empty"):
        evaluate(model, [])
    with pytest.raises(ValueError, match="empty"):
        predict(model, [])


# ---------------------------------------------------------------------------------------------
# Progress output
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("progress", [False, "auto"])
def test_quiet_runs_print_nothing(capsys, progress):
    # under pytest's capture stdout is not a terminal, so "auto" is quiet too
    train, val = loaders()
    model = mlp()
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), train, val,
        epochs=2, progress=progress)  # fmt: skip
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_progress_bar_when_forced(capsys):
    train, val = loaders()
    model = mlp()
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), train, val,
        epochs=2, progress=True)  # fmt: skip
    err = capsys.readouterr().err
    assert "epoch 1/2" in err and "epoch 2/2" in err and "val_loss=" in err


# ---------------------------------------------------------------------------------------------
# History and plots
# ---------------------------------------------------------------------------------------------


def test_history_and_plot_history():
    history = History()
    history.append(0, {"loss": 1.0, "accuracy": 0.5, "val_loss": 1.2, "val_accuracy": 0.4})
    history.append(1, {"loss": 0.5, "accuracy": 0.8, "val_loss": 0.9, "val_accuracy": 0.7})
    assert len(history) == 2 and history["loss"] == [1.0, 0.5] and "val_loss" in history
    assert "loss=0.5" in repr(history)

    fig = history.plot()
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    for ax, title in zip(fig.axes, ["Loss", "Accuracy"], strict=True):
        assert ax.get_title() == title
        assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == title.lower()
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "validation"]
        np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), [1, 2])

    # a dict works too; metrics not recorded are skipped, but one must exist
    fig = plot.plot_history({"loss": [3.0, 2.0, 1.0], "lr": [0.1, 0.1, 0.01]}, ["loss", "lr"])
    assert [ax.get_title() for ax in fig.axes] == ["Loss", "Lr"]
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["train"]
    fig = plot.plot_history({"loss": [3.0, 2.0]})  # default ("loss", "accuracy")
    assert len(fig.axes) == 1
    with pytest.raises(ValueError, match="recorded"):
        plot.plot_history({"loss": [1.0]}, ["accuracy"])


def test_image_grid():
    rng = np.random.default_rng(0)
    images = Tensor(rng.random((10, 1, 6, 5)).astype(np.float32))
    names = [f"class {i}" for i in range(4)]
    fig = plot.image_grid(images, labels=np.arange(10) % 4, class_names=names, ncols=4,
                          title="Samples")  # fmt: skip
    assert isinstance(fig, Figure)
    parent = fig.axes[0]
    tiles = parent.child_axes  # the tiles are inset axes of the parent
    assert parent.get_title() == "Samples" and not parent.axison
    assert len(tiles) == 10 and not any(ax.axison for ax in tiles)
    assert [ax.get_title() for ax in tiles] == [names[i % 4] for i in range(10)]
    assert tiles[0].images[0].get_cmap().name == "gray"
    assert tiles[0].images[0].get_array().shape == (6, 5)

    # (N, H, W) uint8, string labels, inside an existing axes
    fig, axes = plt.subplots(1, 2)
    out = plot.image_grid((rng.random((3, 6, 6)) * 255).astype(np.uint8),
                          labels=["a", "b", "c"], ax=axes[0])  # fmt: skip
    assert out is fig
    assert [ax.get_title() for ax in axes[0].child_axes] == ["a", "b", "c"]
    assert plot.image_grid(rng.random((2, 4, 4))).axes[0].child_axes[1].get_title() == ""

    with pytest.raises(ValueError, match="shape"):
        plot.image_grid(np.zeros((2, 2, 3, 4, 5)))
    with pytest.raises(ValueError, match="labels"):
        plot.image_grid(np.zeros((3, 4, 4)), labels=[0, 1])
