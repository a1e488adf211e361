"""Module machinery, data loading, saving and loading, initialisers: behaviour and errors."""

from __future__ import annotations

import numpy as np
import pytest

import mininn
import mininn.functional as F
from mininn import Tensor, nn, optim
from mininn.data import DataLoader, Dataset, TensorDataset, random_split
from mininn.kernels.activations import gelu, gelu_grad, gelu_grad_reference, gelu_reference


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(4, 8)
        self.norm = nn.BatchNorm1d(8)
        self.out = nn.Linear(8, 3)

    def forward(self, x):
        return self.out(self.norm(self.hidden(x)).relu())


def test_parameters_are_found_in_order_with_dotted_names():
    m = TwoLayer()
    names = [n for n, _ in m.named_parameters()]
    assert names == [
        "hidden.weight",
        "hidden.bias",
        "norm.weight",
        "norm.bias",
        "out.weight",
        "out.bias",
    ]
    assert sum(p.size for p in m.parameters()) == 4 * 8 + 8 + 8 + 8 + 8 * 3 + 3
    assert [type(c).__name__ for c in m.children()] == ["Linear", "BatchNorm1d", "Linear"]
    assert [n for n, _ in m.named_buffers()] == ["norm.running_mean", "norm.running_var"]


def test_shared_parameters_are_listed_once():
    lin = nn.Linear(3, 3)
    m = nn.Sequential(lin, nn.ReLU(), lin)
    assert len(list(m.parameters())) == 2


def test_train_eval_propagate_and_repr():
    m = TwoLayer()
    m.eval()
    assert all(not sub.training for sub in m.modules())
    m.train()
    assert all(sub.training for sub in m.modules())
    text = repr(m)
    assert "(hidden): Linear(in_features=4, out_features=8, bias=True)" in text
    assert "(norm): BatchNorm1d(8" in text


def test_forgetting_super_init_is_explained():
    class Broken(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(2, 2)

    with pytest.raises(RuntimeError, match=r"super\(\).__init__\(\)"):
        Broken()


def test_state_dict_round_trip_through_a_file(tmp_path):
    mininn.manual_seed(0)
    a = TwoLayer()
    a(mininn.randn(16, 4))  # moves the running statistics
    mininn.save(a, tmp_path / "model.npz")
    state = mininn.load(tmp_path / "model.npz")
    assert list(state) == list(a.state_dict())
    mininn.manual_seed(1)
    b = TwoLayer()
    b.load_state_dict(state)
    x = mininn.randn(5, 4)
    a.eval()
    b.eval()
    np.testing.assert_array_equal(a(x).data, b(x).data)
    # the loaded arrays are copies: changing the model does not change the state dict
    b.out.weight.data += 1
    assert not np.array_equal(b.out.weight.data, state["out.weight"])


def test_load_state_dict_names_the_problem():
    m = TwoLayer()
    state = m.state_dict()
    state["out.weight"] = np.zeros((2, 2), np.float32)
    with pytest.raises(ValueError, match=r"out.weight.*\(2, 2\).*\(3, 8\)"):
        m.load_state_dict(state)
    with pytest.raises(KeyError, match="missing keys"):
        m.load_state_dict({})
    with pytest.raises(KeyError, match="unexpected keys"):
        m.load_state_dict({**m.state_dict(), "extra": np.zeros(1)})


def test_save_refuses_non_numeric_and_never_pickles(tmp_path):
    with pytest.raises(TypeError, match="numeric"):
        mininn.save({"names": np.array(["a", "b"], dtype=object)}, tmp_path / "x.npz")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.savez(tmp_path / "bad.npz", x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="pickle"):
        mininn.load(tmp_path / "bad.npz")


def test_linear_init_bounds_and_shape_errors():
    mininn.manual_seed(0)
    lin = nn.Linear(100, 50)
    assert lin.weight.shape == (50, 100) and lin.bias.shape == (50,)
    assert np.abs(lin.weight.data).max() <= 0.1 and np.abs(lin.weight.data).max() > 0.09
    with pytest.raises(ValueError, match=r"\(2, 7\).*7.*\(50, 100\).*100"):
        lin(mininn.randn(2, 7))


def test_initialisers_have_the_stated_spread():
    mininn.manual_seed(0)
    w = nn.Parameter(np.empty((400, 300), np.float32))
    nn.init.xavier_uniform_(w)
    assert np.std(w.data) == pytest.approx(np.sqrt(2 / 700), rel=0.02)
    nn.init.kaiming_normal_(w, nonlinearity="relu")
    assert np.std(w.data) == pytest.approx(np.sqrt(2 / 300), rel=0.02)
    assert w.dtype == np.float32
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.init.calculate_gain("swish")
    with pytest.raises(ValueError, match="fan_in"):
        nn.init.kaiming_normal_(w, mode="fanin")


def test_batchnorm_needs_a_batch_and_the_right_width():
    bn = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\).*\(4, 5\)"):
        bn(mininn.randn(4, 5))
    with pytest.raises(ValueError, match="more than one value per channel"):
        bn(mininn.randn(1, 3))
    bn.eval()
    assert bn(mininn.randn(1, 3)).shape == (1, 3)


def test_loss_argument_checks():
    z = mininn.randn(4, 3)
    with pytest.raises(ValueError, match="out of range for 3 classes"):
        F.cross_entropy(z, np.array([0, 1, 2, 3]))
    with pytest.raises(TypeError, match="integer class indices"):
        F.cross_entropy(z, np.array([0.0, 1.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match=r"targets of shape \(4,\)"):
        F.cross_entropy(z, np.array([0, 1]))
    with pytest.raises(ValueError, match=r"same shape"):
        F.mse_loss(mininn.randn(4, 1), mininn.randn(4))
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(z, z, reduction="avg")


def test_optimizer_argument_checks_and_zero_grad():
    p = nn.Parameter(np.ones(3, np.float32))
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="learning rate"):
        optim.Adam([p], lr=-1)
    opt = optim.SGD([p], lr=0.5)
    (p * p).sum().backward()
    opt.step()
    np.testing.assert_allclose(p.data, [0.0, 0.0, 0.0])  # 1 - 0.5 * 2
    opt.zero_grad()
    assert p.grad is None


def test_param_groups_have_their_own_settings():
    a, b = nn.Parameter(np.ones(1, np.float32)), nn.Parameter(np.ones(1, np.float32))
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 1.0}], lr=0.1)
    (a + b).sum().backward()
    opt.step()
    assert a.data[0] == pytest.approx(0.9) and b.data[0] == pytest.approx(0.0)


# -- data -------------------------------------------------------------------------------------


def test_dataloader_covers_every_example_once_per_epoch_and_is_seeded():
    X = np.arange(50, dtype=np.float32).reshape(25, 2)
    y = np.arange(25)
    loader = DataLoader(TensorDataset(X, y), batch_size=4, shuffle=True, seed=3)
    assert len(loader) == 7
    seen = np.concatenate([yb.data for _, yb in loader])
    assert sorted(seen) == list(range(25)) and not np.array_equal(seen, np.arange(25))
    second = np.concatenate([yb.data for _, yb in loader])
    assert not np.array_equal(seen, second)  # a new order each epoch
    again = DataLoader(TensorDataset(X, y), batch_size=4, shuffle=True, seed=3)
    np.testing.assert_array_equal(seen, np.concatenate([yb.data for _, yb in again]))
    for xb, yb in loader:
        np.testing.assert_array_equal(xb.data[:, 0], 2 * yb.data)  # rows stay paired
    assert len(DataLoader(TensorDataset(X, y), batch_size=4, drop_last=True)) == 6


def test_generic_dataset_is_batched_by_stacking():
    class Squares(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return np.array([i, i * i], np.float32), i

    batches = list(DataLoader(Squares(), batch_size=2))
    assert [b[0].shape for b in batches] == [(2, 2), (2, 2), (1, 2)]
    np.testing.assert_array_equal(batches[1][1].data, [2, 3])


def test_tensor_dataset_and_loader_errors():
    with pytest.raises(ValueError, match="same length"):
        TensorDataset(np.zeros((3, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(TensorDataset(np.zeros(3)), batch_size=0)


def test_random_split_partitions():
    ds = TensorDataset(np.arange(10))
    a, b = random_split(ds, [7, 3], seed=0)
    got = sorted(np.concatenate([a.__getitems__(np.arange(7))[0], b.__getitems__(np.arange(3))[0]]))
    assert got == list(range(10))
    with pytest.raises(ValueError, match="add up"):
        random_split(ds, [5, 4])


# -- kernels ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gelu_kernels_agree_with_the_reference(dtype):
    x = np.linspace(-8, 8, 201).astype(dtype)
    tol = 1e-6 if dtype == np.float32 else 1e-13
    assert gelu(x).dtype == dtype and gelu_grad(x).dtype == dtype
    np.testing.assert_allclose(gelu(x), gelu_reference(x), rtol=tol, atol=tol)
    np.testing.assert_allclose(gelu_grad(x), gelu_grad_reference(x), rtol=tol, atol=tol)


def test_gelu_refuses_integers():
    with pytest.raises(TypeError, match="floating"):
        F.gelu(Tensor(np.arange(3)))


def test_clip_grad_norm_scales_only_above_the_limit():
    p = nn.Parameter(np.array([3.0, 4.0], np.float32))
    p.grad = np.array([3.0, 4.0], np.float32)
    assert optim.clip_grad_norm_([p], 10.0) == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad, [3, 4])
    optim.clip_grad_norm_([p], 1.0)
    assert np.linalg.norm(p.grad) == pytest.approx(1.0, rel=1e-5)


def test_sequential_slice_is_a_sequential_sharing_the_layers():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    head = model[:2]
    assert isinstance(head, nn.Sequential) and len(head) == 2
    assert head[0] is model[0] and model[-1] is model[2]
    x = mininn.Tensor(np.ones((3, 4), np.float32))
    np.testing.assert_array_equal(model[2:](head(x)).data, model(x).data)
