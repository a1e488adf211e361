"""Speed and accuracy benchmarks, each with a reference measured in the same run.

`mininn bench mlp` trains the same 784-256-256-10 ReLU MLP on the full Fashion-MNIST
training set with mininn and, when it is installed, with PyTorch (`torch==2.13.0`, CPU), using
the same initial weights, batch order, optimiser and thread count. It reports the median
seconds per epoch over at least five epochs, the ratio mininn / PyTorch, and the test
accuracy both reach. It prints the machine facts that change such numbers (BLAS library and
threads, OPENBLAS_CORETYPE).
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

__all__ = ["bench_mlp", "main_bench"]


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


def _mininn_run(x_tr, y_tr, x_te, y_te, weights, orders, batch, lr, momentum):
    import mininn
    import mininn.functional as F
    from mininn import nn, optim

    model = nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
    )
    model.load_state_dict(weights)
    opt = optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    times = []
    for order in orders:
        t0 = time.perf_counter()
        model.train()
        for start in range(0, len(order), batch):
            idx = order[start : start + batch]
            opt.zero_grad()
            loss = F.cross_entropy(model(mininn.Tensor(x_tr[idx])), y_tr[idx])
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t0)
    model.eval()
    with mininn.no_grad():
        pred = model(mininn.Tensor(x_te)).data.argmax(axis=1)
    return times, float((pred == y_te).mean())


def _torch_run(x_tr, y_tr, x_te, y_te, weights, orders, batch, lr, momentum, threads):
    import torch

    torch.set_num_threads(threads)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 10),
    )
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in weights.items()})
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    xt, yt = torch.from_numpy(x_tr), torch.from_numpy(y_tr)
    times = []
    for order in orders:
        o = torch.from_numpy(order)
        t0 = time.perf_counter()
        model.train()
        for start in range(0, len(order), batch):
            idx = o[start : start + batch]
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t0)
    model.eval()
    with torch.no_grad():
        pred = model(torch.from_numpy(x_te)).argmax(dim=1).numpy()
    return times, float((pred == y_te).mean())


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
    import mininn
    from mininn import nn
    from mininn.datasets import FashionMNIST

    if epochs < 5:
        raise ValueError("the benchmark reports a median over at least 5 epochs")
    train, test = FashionMNIST(root=root, train=True), FashionMNIST(root=root, train=False)
    mean, std = 0.2860, 0.3530  # Fashion-MNIST training-pixel statistics (checked below)
    x_tr = ((train.data.reshape(-1, 784) / 255.0 - mean) / std).astype(np.float32)
    x_te = ((test.data.reshape(-1, 784) / 255.0 - mean) / std).astype(np.float32)
    assert abs(float(train.data.mean()) / 255 - mean) < 1e-3
    y_tr, y_te = train.targets.astype(np.int64), test.targets.astype(np.int64)
    mininn.manual_seed(seed)
    init = nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10)
    )
    weights = init.state_dict()
    rng = np.random.default_rng(seed)
    orders = [rng.permutation(len(y_tr)) for _ in range(epochs)]
    info = _blas_info()
    result: dict[str, Any] = {
        "model": "784-256-256-10 ReLU MLP, float32",
        "data": f"Fashion-MNIST, {len(y_tr)} training images, batch {batch}",
        "optimizer": f"SGD(lr={lr}, momentum={momentum})",
        "epochs": epochs,
        "machine": {"python": platform.python_version(), "numpy": np.__version__, **info},
    }
    times, acc = _mininn_run(x_tr, y_tr, x_te, y_te, weights, orders, batch, lr, momentum)
    result["mininn"] = {
        "epoch_seconds": times,
        "median": statistics.median(times),
        "test_accuracy": acc,
    }
    if torch_reference:
        try:
            import torch
        except ImportError:
            result["torch"] = "not installed (pip install torch==2.13.0 to compare)"
        else:
            t_times, t_acc = _torch_run(
                x_tr, y_tr, x_te, y_te, weights, orders, batch, lr, momentum, info["threads"]
            )
            result["torch"] = {
                "version": torch.__version__,
                "threads": torch.get_num_threads(),
                "epoch_seconds": t_times,
                "median": statistics.median(t_times),
                "test_accuracy": t_acc,
            }
            result["ratio_mininn_over_torch"] = (
                result["mininn"]["median"] / result["torch"]["median"]
            )
    return result


def _print(result: dict) -> None:
    m = result["machine"]
    print(f"{result['model']}; {result['data']}; {result['optimizer']}; {result['epochs']} epochs")
    print(
        f"machine: {m['cpu_count']} CPUs, BLAS threads {m['threads']}, "
        f"OPENBLAS_CORETYPE={m['OPENBLAS_CORETYPE']}, numpy {m['numpy']}"
    )
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


def main_bench(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mininn bench", description=__doc__.splitlines()[0])
    parser.add_argument("name", choices=["mlp"], help="which benchmark")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--root", help="folder with the Fashion-MNIST files")
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch reference")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args(argv)
    result = bench_mlp(epochs=args.epochs, root=args.root, torch_reference=not args.no_torch)
    _print(result)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)
    return 0
