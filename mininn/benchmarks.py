"""Speed and accuracy benchmarks, each with a reference measured in the same run.

`mininn bench mlp` trains the same 784-256-256-10 ReLU MLP on the full Fashion-MNIST
training set with mininn and, when it is installed, with PyTorch (`torch==2.13.0`, CPU), using
the same initial weights, batch order, optimiser and thread count. It reports the median
seconds per epoch over at least five epochs, the ratio mininn / PyTorch, and the test
accuracy both reach. It prints the machine facts that change such numbers (BLAS library and
threads, OPENBLAS_CORETYPE).

`mininn bench cnn` times (1) one convolution's forward and backward on the two layer shapes
of the CNN chapters, for mininn, PyTorch and a plain NumPy im2col reference, in milliseconds
(median of 30 calls, the three timed in interleaved blocks of 5) and GFLOP/s; (2) LeNet-5
epochs on Fashion-MNIST (batch 128, Adam) for mininn and PyTorch from the same weights and
batches; (3) Numba's start-up: a new process that imports mininn
and runs its first LeNet training step, with a warm cache and with an empty one.

`mininn bench rnn` trains a character model on Tiny Shakespeare (Embedding(65, 64) -> one
LSTM or GRU layer of 256 units -> Linear; sequence length 64, batch 32, Adam) with mininn and
PyTorch from the same weights and batches: the median milliseconds of a training step
(forward, backward, update) over at least 50 steps after a warm-up, timed in interleaved
blocks of 10 steps so both libraries see the same machine load, and their ratio; then the
LSTM's validation loss in nats per character after a fixed training time (`--minutes`,
1 by default; the issue's figure is 3).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from typing import Any

import numpy as np

__all__ = ["bench_mlp", "bench_cnn", "bench_rnn", "main_bench"]


def _blas_info() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cpu_count": os.cpu_count(),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(not set)"),
        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "(not set)"),
    }
    try:
        from threadpoolctl import threadpool_info

        pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        info["blas"] = [
            {k: p.get(k) for k in ("internal_api", "num_threads", "architecture", "version")}
            for p in pools
        ]
        info["threads"] = max((p.get("num_threads") or 1) for p in pools) if pools else 1
    except ImportError:
        env = os.environ.get("OPENBLAS_NUM_THREADS")
        info["blas"] = "threadpoolctl not installed: thread count assumed from the environment"
        info["threads"] = int(env) if env and env.isdigit() else (os.cpu_count() or 1)
    return info


def _machine_line(result: dict) -> str:
    """The machine facts every benchmark prints first (and the torch version, when known)."""
    m = result["machine"]
    line = (
        f"machine: {m['cpu_count']} CPUs, BLAS threads {m['threads']}, "
        f"OPENBLAS_CORETYPE={m['OPENBLAS_CORETYPE']}, numpy {m['numpy']}"
    )
    return line + (f", torch {result['torch_version']}" if "torch_version" in result else "")


def _mlp(m):
    """The 784-256-256-10 ReLU MLP, in mininn.nn or torch.nn (same names)."""
    return m.Sequential(
        m.Linear(784, 256), m.ReLU(), m.Linear(256, 256), m.ReLU(), m.Linear(256, 10)
    )


def _fashion(root, shape):
    """Fashion-MNIST standardised with its training-pixel statistics, images in `shape`."""
    from mininn.datasets import FashionMNIST

    train, test = FashionMNIST(root=root, train=True), FashionMNIST(root=root, train=False)
    mean, std = 0.2860, 0.3530  # Fashion-MNIST training-pixel statistics (checked below)
    assert abs(float(train.data.mean()) / 255 - mean) < 1e-3

    def prep(d):
        return ((d.data / 255.0 - mean) / std).astype(np.float32).reshape(-1, *shape)

    return (prep(train), train.targets.astype(np.int64), prep(test), test.targets.astype(np.int64))


def _train_mininn(arch, weights, optimizer, data, orders, batch):
    """Train `arch` (built with mininn.nn, started from `weights`) one epoch per order with
    `optimizer` = (name, kwargs); return the epoch times and the test accuracy."""
    import mininn
    import mininn.functional as F
    from mininn import nn, optim

    x_tr, y_tr, x_te, y_te = data
    model = arch(nn)
    model.load_state_dict(weights)
    opt = getattr(optim, optimizer[0])(model.parameters(), **optimizer[1])
    times = []
    for order in orders:
        t0 = time.perf_counter()
        model.train()
        for start in range(0, len(order), batch):
            idx = order[start : start + batch]
            opt.zero_grad()
            F.cross_entropy(model(mininn.Tensor(x_tr[idx])), y_tr[idx]).backward()
            opt.step()
        times.append(time.perf_counter() - t0)
    model.eval()
    with mininn.no_grad():
        chunks = [model(mininn.Tensor(x_te[i : i + 1000])) for i in range(0, len(x_te), 1000)]
    pred = np.concatenate([c.data.argmax(axis=1) for c in chunks])
    return times, float((pred == y_te).mean())


def _train_torch(arch, weights, optimizer, data, orders, batch, threads):
    """The same as `_train_mininn` with PyTorch, on `threads` threads."""
    import torch

    x_tr, y_tr, x_te, y_te = data
    torch.set_num_threads(threads)
    model = arch(torch.nn)
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in weights.items()})
    opt = getattr(torch.optim, optimizer[0])(model.parameters(), **optimizer[1])
    xt, yt = torch.from_numpy(x_tr), torch.from_numpy(y_tr)
    times = []
    for order in orders:
        o = torch.from_numpy(order)
        t0 = time.perf_counter()
        model.train()
        for start in range(0, len(order), batch):
            idx = o[start : start + batch]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(xt[idx]), yt[idx]).backward()
            opt.step()
        times.append(time.perf_counter() - t0)
    model.eval()
    with torch.no_grad():
        pred = model(torch.from_numpy(x_te)).argmax(dim=1).numpy()
    return times, float((pred == y_te).mean())


def _compare_epochs(result, arch, optimizer, data, batch, epochs, seed, torch_reference):
    """Fill result["mininn"], result["torch"] and their ratio: same weights, same batches."""
    import mininn
    from mininn import nn

    mininn.manual_seed(seed)
    weights = arch(nn).state_dict()
    rng = np.random.default_rng(seed)
    orders = [rng.permutation(len(data[1])) for _ in range(epochs)]
    times, acc = _train_mininn(arch, weights, optimizer, data, orders, batch)
    result["mininn"] = {"epoch_seconds": times, "median": statistics.median(times),
                        "test_accuracy": acc}  # fmt: skip
    if not torch_reference:
        return
    try:
        import torch
    except ImportError:
        result["torch"] = "not installed (pip install torch==2.13.0 to compare)"
        return
    threads = result["machine"]["threads"]
    t_times, t_acc = _train_torch(arch, weights, optimizer, data, orders, batch, threads)
    result["torch"] = {"version": torch.__version__, "threads": torch.get_num_threads(),
                       "epoch_seconds": t_times, "median": statistics.median(t_times),
                       "test_accuracy": t_acc}  # fmt: skip
    result["ratio_mininn_over_torch"] = result["mininn"]["median"] / result["torch"]["median"]


def bench_mlp(
    epochs: int = 5,
    batch: int = 128,
    lr: float = 0.05,
    momentum: float = 0.9,
    root: str | None = None,
    seed: int = 0,
    torch_reference: bool = True,
) -> dict:
    """Time `epochs` epochs of the MLP in mininn and PyTorch; return the figures as a dict."""
    if epochs < 5:
        raise ValueError("the benchmark reports a median over at least 5 epochs")
    data = _fashion(root, (784,))
    result: dict[str, Any] = {
        "model": "784-256-256-10 ReLU MLP, float32",
        "data": f"Fashion-MNIST, {len(data[1])} training images, batch {batch}",
        "optimizer": f"SGD(lr={lr}, momentum={momentum})",
        "epochs": epochs,
        "machine": {"python": platform.python_version(), "numpy": np.__version__, **_blas_info()},
    }
    optimizer = ("SGD", dict(lr=lr, momentum=momentum))
    _compare_epochs(result, _mlp, optimizer, data, batch, epochs, seed, torch_reference)
    return result


# ---------------------------------------------------------------------------------------------
# CNN
# ---------------------------------------------------------------------------------------------

CONV_SHAPES = [((128, 1, 28, 28), 32), ((128, 32, 14, 14), 64)]  # 3x3 kernels, padding 1


def _interleaved_median_ms(fns: dict, repeats: int, block: int = 5) -> dict[str, float]:
    """Median milliseconds of each function in `fns` (name -> callable) over `repeats` calls,
    run in interleaved blocks of `block` calls so that a change of machine load hits every
    function alike; each is called once first (warm-up and compilation)."""
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(-(-repeats // block)):  # ceil(repeats / block) rounds
        for name, fn in fns.items():
            for _ in range(block):
                t0 = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) * 1e3 for name, t in times.items()}


def _numpy_conv_step(x, w, b, g):
    """Forward and backward of a 3x3, padding-1 convolution with the NumPy references only."""
    from mininn.kernels.conv import col2im_reference, im2col_reference

    n, c, h, wd = x.shape
    o = w.shape[0]
    cols = im2col_reference(x, (3, 3), (1, 1), (1, 1))
    w2 = w.reshape(o, -1)
    out = (w2 @ cols).reshape(o, n, h, wd).transpose(1, 0, 2, 3) + b.reshape(1, o, 1, 1)
    g2 = g.transpose(1, 0, 2, 3).reshape(o, -1)
    grad_w = g2 @ cols.T
    grad_x = col2im_reference(w2.T @ g2, x.shape, (3, 3), (1, 1), (1, 1))
    return out, grad_x, grad_w, g2.sum(axis=1)


def _conv_row(shape, out_ch: int, repeats: int, threads: int, with_torch: bool) -> dict:
    import mininn.functional as F
    from mininn import Tensor

    rng = np.random.default_rng(0)
    n, c, h, w = shape
    x = rng.standard_normal(shape).astype(np.float32)
    wt = (rng.standard_normal((out_ch, c, 3, 3)) * 0.1).astype(np.float32)
    b = np.zeros(out_ch, np.float32)
    g = rng.standard_normal((n, out_ch, h, w)).astype(np.float32)
    # forward + backward with the input gradient: three products of 2 N O H W C 9 flops
    gflop = 3 * 2 * n * out_ch * h * w * c * 9 / 1e9

    def ours():
        xm, wm = Tensor(x, requires_grad=True), Tensor(wt, requires_grad=True)
        F.conv2d(xm, wm, Tensor(b, requires_grad=True), padding=1).backward(g)

    fns = {"mininn_ms": ours, "numpy_im2col_ms": lambda: _numpy_conv_step(x, wt, b, g)}
    if with_torch:
        import torch

        torch.set_num_threads(threads)
        tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, wt, b))
        tg = torch.tensor(g)

        def theirs():
            tx.grad = tw.grad = tb.grad = None
            torch.nn.functional.conv2d(tx, tw, tb, padding=1).backward(tg)

        fns["torch_ms"] = theirs
    row = {"shape": f"{shape} -> {out_ch}, 3x3, padding 1", "gflop": gflop}
    row.update(_interleaved_median_ms(fns, repeats))
    if with_torch:
        row["ratio_mininn_over_torch"] = row["mininn_ms"] / row["torch_ms"]
    return row


def _conv_bench(repeats: int, threads: int, with_torch: bool) -> list[dict]:
    return [_conv_row(s, o, repeats, threads, with_torch) for s, o in CONV_SHAPES]


def _lenet(m):
    """LeNet-5 with ReLU and max pooling, in mininn.nn or torch.nn (same names)."""
    return m.Sequential(
        m.Conv2d(1, 6, 5, padding=2), m.ReLU(), m.MaxPool2d(2),
        m.Conv2d(6, 16, 5), m.ReLU(), m.MaxPool2d(2), m.Flatten(),
        m.Linear(400, 120), m.ReLU(), m.Linear(120, 84), m.ReLU(), m.Linear(84, 10),
    )  # fmt: skip


_STARTUP = """
import time
t0 = time.perf_counter()
import numpy as np
import mininn, mininn.functional as F
from mininn import nn, optim
from mininn.benchmarks import _lenet
mininn.manual_seed(0)
model = _lenet(nn)
opt = optim.Adam(model.parameters(), lr=1e-3)
x = np.random.default_rng(0).standard_normal((128, 1, 28, 28)).astype(np.float32)
F.cross_entropy(model(mininn.Tensor(x)), np.arange(128) % 10).backward()
opt.step()
print(time.perf_counter() - t0)
"""


def _startup_seconds(cache_dir: str | None) -> float:
    import subprocess
    import sys

    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    out = subprocess.run(
        [sys.executable, "-c", _STARTUP], env=env, capture_output=True, text=True, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def bench_cnn(
    epochs: int = 3,
    batch: int = 128,
    lr: float = 1e-3,
    root: str | None = None,
    seed: int = 0,
    torch_reference: bool = True,
    repeats: int = 30,
) -> dict:
    """Convolution timings, LeNet-5 epochs and Numba start-up; return the figures as a dict."""
    import importlib.util
    import tempfile

    if epochs < 3:
        raise ValueError("the benchmark reports a median over at least 3 epochs")
    info = _blas_info()
    result: dict[str, Any] = {
        "model": "LeNet-5 (6@5x5 pad 2, max pool, 16@5x5, max pool, 120, 84, 10), float32",
        "optimizer": f"Adam(lr={lr})",
        "epochs": epochs,
        "machine": {"python": platform.python_version(), "numpy": np.__version__, **info},
    }
    with_torch = torch_reference and importlib.util.find_spec("torch") is not None
    if torch_reference and not with_torch:
        result["torch"] = "not installed (pip install torch==2.13.0 to compare)"
    # 3. start-up first, in fresh processes, before this one loads anything heavy
    with tempfile.TemporaryDirectory() as empty:
        cold = _startup_seconds(empty)  # compiles every kernel the first step needs
        warm_same = _startup_seconds(empty)  # the same cache, now filled
    result["startup"] = {
        "empty_cache_s": cold,
        "warm_cache_s": min(warm_same, _startup_seconds(None)),
    }
    # 1. one convolution
    result["conv"] = _conv_bench(repeats, info["threads"], with_torch)
    # 2. LeNet epochs
    data = _fashion(root, (1, 28, 28))
    result["data"] = f"Fashion-MNIST, {len(data[1])} training images, batch {batch}"
    _compare_epochs(result, _lenet, ("Adam", dict(lr=lr)), data, batch, epochs, seed, with_torch)
    return result


def _print_cnn(result: dict) -> None:
    print(_machine_line(result))
    print("\nconv2d forward + backward (median ms, GFLOP/s)")
    head = f"{'layer':<40}{'mininn':>16}{'numpy im2col':>16}"
    with_torch = "torch_ms" in result["conv"][0]
    print(head + (f"{'torch':>16}{'mininn/torch':>14}" if with_torch else ""))
    for r in result["conv"]:
        line = f"{r['shape']:<40}"
        for key in ("mininn_ms", "numpy_im2col_ms") + (("torch_ms",) if with_torch else ()):
            line += f"{r[key]:>8.2f} {r['gflop'] / r[key] * 1e3:>5.1f}  "
        if with_torch:
            line += f"{r['ratio_mininn_over_torch']:>10.2f}"
        print(line)
    print(f"\n{result['model']}; {result['data']}; {result['optimizer']}")
    rows = [("mininn", result["mininn"])]
    if isinstance(result.get("torch"), dict) and "median" in result["torch"]:
        rows.append((f"torch {result['torch']['version']}", result["torch"]))
    print(f"{'library':<22}{'median s/epoch':>16}{'test accuracy':>16}   epochs (s)")
    for name, r in rows:
        per = " ".join(f"{t:.2f}" for t in r["epoch_seconds"])
        print(f"{name:<22}{r['median']:>16.3f}{r['test_accuracy']:>16.4f}   {per}")
    if "ratio_mininn_over_torch" in result:
        print(f"ratio mininn / torch (median epoch time): {result['ratio_mininn_over_torch']:.3f}")
    elif isinstance(result.get("torch"), str):
        print(f"torch: {result['torch']}")
    s = result["startup"]
    print(
        f"\nnew process, import + first LeNet training step: {s['warm_cache_s']:.2f} s with a "
        f"warm Numba cache, {s['empty_cache_s']:.2f} s with an empty one (compiling)"
    )


def _print(result: dict) -> None:
    m = result["machine"]
    print(f"{result['model']}; {result['data']}; {result['optimizer']}; {result['epochs']} epochs")
    print(_machine_line(result))
    if isinstance(m.get("blas"), list):
        for pool in m["blas"]:
            print(f"  BLAS: {pool}")
    rows = [("mininn", result["mininn"])]
    if isinstance(result.get("torch"), dict):
        rows.append((f"torch {result['torch']['version']}", result["torch"]))
    print(f"{'library':<22}{'median s/epoch':>16}{'test accuracy':>16}   epochs (s)")
    for name, r in rows:
        per = " ".join(f"{t:.2f}" for t in r["epoch_seconds"])
        print(f"{name:<22}{r['median']:>16.3f}{r['test_accuracy']:>16.4f}   {per}")
    if "ratio_mininn_over_torch" in result:
        print(f"ratio mininn / torch (median epoch time): {result['ratio_mininn_over_torch']:.3f}")
    elif isinstance(result.get("torch"), str):
        print(f"torch: {result['torch']}")


# ---------------------------------------------------------------------------------------------
# RNN: a character language model on Tiny Shakespeare
# ---------------------------------------------------------------------------------------------

CHAR_MODEL = dict(vocab=65, embed=64, hidden=256, seq_len=64, batch=32, lr=2e-3)


def _char_model(m, kind: str, vocab: int, embed: int | None, hidden: int):
    """A character model in mininn.nn or torch.nn (same parameter names): Embedding(vocab,
    embed) -> one LSTM or GRU layer -> Linear, or with ``embed=None`` one-hot input ->
    LSTM/GRU -> Linear. mininn takes the one-hot input as token ids (the recurrent layer
    looks up columns of weight_ih_l0); PyTorch gets the one-hot float tensor."""
    rnn_class = {"lstm": m.LSTM, "gru": m.GRU}[kind]
    is_torch = m.__name__.startswith("torch")

    class CharModel(m.Module):
        def __init__(self):
            super().__init__()
            if embed is not None:
                self.emb = m.Embedding(vocab, embed)
            self.rnn = rnn_class(vocab if embed is None else embed, hidden)
            self.out = m.Linear(hidden, vocab)

        def forward(self, x):  # x: (T, N) character ids -> logits (T, N, vocab)
            if embed is not None:
                x = self.emb(x)
            elif is_torch:
                import torch

                x = torch.nn.functional.one_hot(x, vocab).float()
            y, _ = self.rnn(x)
            return self.out(y)

    return CharModel()


def _char_batches(data: np.ndarray, seq_len: int, batch: int, rng, count: int) -> list:
    """`count` batches (x, y) of `batch` random windows, time-major (seq_len, batch) int64;
    y is x shifted by one character."""
    out = []
    for _ in range(count):
        starts = rng.integers(0, len(data) - seq_len - 1, size=batch)
        idx = starts[None, :] + np.arange(seq_len)[:, None]
        out.append((data[idx], data[idx + 1]))
    return out


class _Trainer:
    """One library's model, optimiser and training step on (x, y) batches."""

    def __init__(self, lib: str, kind: str, weights: dict, cfg: dict, threads: int, embed):
        self.lib = lib
        if lib == "torch":
            import torch

            torch.set_num_threads(threads)
            self.torch = torch
            self.model = _char_model(torch.nn, kind, cfg["vocab"], embed, cfg["hidden"])
            self.model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in weights.items()})
            self.opt = torch.optim.Adam(self.model.parameters(), lr=cfg["lr"])
        else:
            from mininn import nn, optim

            self.model = _char_model(nn, kind, cfg["vocab"], embed, cfg["hidden"])
            self.model.load_state_dict({k: v.copy() for k, v in weights.items()})
            self.opt = optim.Adam(self.model.parameters(), lr=cfg["lr"])
        self.vocab = cfg["vocab"]

    def _loss(self, x, y):
        v = self.vocab
        if self.lib == "torch":
            f = self.torch.nn.functional
            logits = self.model(self.torch.from_numpy(x))
            return f.cross_entropy(logits.reshape(-1, v), self.torch.from_numpy(y.reshape(-1)))
        import mininn.functional as F

        return F.cross_entropy(self.model(x).reshape(-1, v), y.reshape(-1))

    def step(self, x, y) -> float:
        """Forward, backward and update; returns the loss."""
        self.opt.zero_grad()
        loss = self._loss(x, y)
        loss.backward()
        self.opt.step()
        return float(loss.item())

    def valid_loss(self, data: np.ndarray, seq_len: int, chunk: int = 256) -> float:
        """Mean cross-entropy (nats per character) over consecutive windows of `data`, each
        started from a zero state."""
        import mininn

        n = (len(data) - 1) // seq_len
        idx = np.arange(n)[None, :] * seq_len + np.arange(seq_len)[:, None]
        total = 0.0
        self.model.eval()
        ctx = self.torch.no_grad() if self.lib == "torch" else mininn.no_grad()
        with ctx:
            for s in range(0, n, chunk):
                cols = idx[:, s : s + chunk]
                total += float(self._loss(data[cols], data[cols + 1]).item()) * cols.size
        self.model.train()
        return total / (n * seq_len)


def _time_steps(trainers: list, batches: list, steps: int, warmup: int = 10) -> list[list[float]]:
    """Per trainer, the milliseconds of `steps` training steps, measured in interleaved
    blocks of 10 (so a change of machine load hits every library alike)."""
    for tr in trainers:
        for x, y in batches[:warmup]:
            tr.step(x, y)
    times: list[list[float]] = [[] for _ in trainers]
    k = warmup
    while len(times[0]) < steps:
        block = batches[k : k + 10]
        k += 10
        for tr, out in zip(trainers, times, strict=True):
            for x, y in block:
                t0 = time.perf_counter()
                tr.step(x, y)
                out.append((time.perf_counter() - t0) * 1e3)
    return times


def bench_rnn(
    steps: int = 60,
    minutes: float = 1.0,
    root: str | None = None,
    seed: int = 0,
    torch_reference: bool = True,
) -> dict:
    """Character LSTM and GRU training steps (ms, median) and validation loss after a fixed
    training time, for mininn and PyTorch from the same weights and batches."""
    import importlib.util

    import mininn
    from mininn import nn
    from mininn.datasets import TinyShakespeare

    if steps < 50:
        raise ValueError("the benchmark reports a median over at least 50 steps")
    cfg = dict(CHAR_MODEL)
    text = TinyShakespeare(root=root)
    if len(text.vocab) != cfg["vocab"]:
        raise ValueError(f"expected {cfg['vocab']} characters, the text has {len(text.vocab)}")
    info = _blas_info()
    with_torch = torch_reference and importlib.util.find_spec("torch") is not None
    result: dict[str, Any] = {
        "model": (
            f"Embedding({cfg['vocab']}, {cfg['embed']}) or one-hot -> LSTM/GRU(hidden "
            f"{cfg['hidden']}, 1 layer) -> Linear({cfg['hidden']}, {cfg['vocab']}), float32"
        ),
        "data": f"Tiny Shakespeare, sequence length {cfg['seq_len']}, batch {cfg['batch']}",
        "optimizer": f"Adam(lr={cfg['lr']})",
        "steps": steps,
        "machine": {"python": platform.python_version(), "numpy": np.__version__, **info},
    }
    if torch_reference and not with_torch:
        result["torch"] = "not installed (pip install torch==2.13.0 to compare)"
    libs = ["mininn"] + (["torch"] if with_torch else [])
    if with_torch:
        import torch

        result["torch_version"] = torch.__version__
    rng = np.random.default_rng(seed)
    batches = _char_batches(text.train_data, cfg["seq_len"], cfg["batch"], rng, steps + 20)
    result["step_ms"] = {}
    variants = [("lstm", cfg["embed"]), ("gru", cfg["embed"]), ("lstm", None), ("gru", None)]
    for kind, embed in variants:
        mininn.manual_seed(seed)
        weights = _char_model(nn, kind, cfg["vocab"], embed, cfg["hidden"]).state_dict()
        trainers = [_Trainer(lib, kind, weights, cfg, info["threads"], embed) for lib in libs]
        times = _time_steps(trainers, batches, steps)
        row = {lib: statistics.median(t) for lib, t in zip(libs, times, strict=True)}
        if with_torch:
            row["ratio_mininn_over_torch"] = row["mininn"] / row["torch"]
        name = f"{kind.upper()}, " + (f"Embedding({cfg['vocab']}, {embed})" if embed else "one-hot")
        result["step_ms"][name] = row
    # validation loss after a fixed training time: the one-hot LSTM, same weights and batches
    mininn.manual_seed(seed)
    weights = _char_model(nn, "lstm", cfg["vocab"], None, cfg["hidden"]).state_dict()
    result["minutes"] = minutes
    result["valid"] = {}
    for lib in libs:
        tr = _Trainer(lib, "lstm", weights, cfg, info["threads"], None)
        train_rng = np.random.default_rng(seed + 1)
        t0, count = time.perf_counter(), 0
        while time.perf_counter() - t0 < minutes * 60:
            ((x, y),) = _char_batches(text.train_data, cfg["seq_len"], cfg["batch"], train_rng, 1)
            tr.step(x, y)
            count += 1
        loss = tr.valid_loss(text.valid_data, cfg["seq_len"])
        result["valid"][lib] = {"steps": count, "valid_loss_nats_per_char": loss}
    return result


def _print_rnn(result: dict) -> None:
    print(_machine_line(result))
    print(f"{result['model']}; {result['data']}; {result['optimizer']}")
    with_torch = "torch" in next(iter(result["step_ms"].values()))
    print(f"\ntraining step (forward, backward, Adam update), median of {result['steps']} (ms)")
    head = f"{'model':<26}{'mininn':>10}"
    print(head + (f"{'torch':>10}{'mininn/torch':>14}" if with_torch else ""))
    for name, row in result["step_ms"].items():
        line = f"{name:<26}{row['mininn']:>10.2f}"
        if with_torch:
            line += f"{row['torch']:>10.2f}{row['ratio_mininn_over_torch']:>14.2f}"
        print(line)
    print(
        f"\none-hot LSTM: validation loss after {result['minutes']:g} min of training (nats/char)"
    )
    for lib, r in result["valid"].items():
        print(f"{lib:<8}{r['valid_loss_nats_per_char']:>10.3f}   ({r['steps']} steps)")
    if isinstance(result.get("torch"), str):
        print(f"torch: {result['torch']}")


def main_bench(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mininn bench", description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=["mlp", "cnn", "rnn"], help="which benchmark")
    parser.add_argument("--epochs", type=int, help="epochs to time (mlp: 5, cnn: 3 by default)")
    parser.add_argument("--root", help="folder with the Fashion-MNIST files")
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch reference")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--steps", type=int, default=60, help="rnn: steps to time (>= 50)")
    parser.add_argument(
        "--minutes", type=float, default=1.0, help="rnn: training time before the validation loss"
    )
    args = parser.parse_args(argv)
    if args.name == "rnn":
        result = bench_rnn(
            steps=args.steps, minutes=args.minutes, root=args.root,
            torch_reference=not args.no_torch,
        )  # fmt: skip
        _print_rnn(result)
    elif args.name == "mlp":
        result = bench_mlp(
            epochs=args.epochs or 5, root=args.root, torch_reference=not args.no_torch
        )
        _print(result)
    else:
        result = bench_cnn(
            epochs=args.epochs or 3, root=args.root, torch_reference=not args.no_torch
        )
        _print_cnn(result)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 0
