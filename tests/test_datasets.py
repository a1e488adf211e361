"""mininn.datasets: finding, verifying, parsing and downloading Fashion-MNIST / MNIST.

Everything runs offline on small synthetic IDX files whose checksums are patched into the
module's tables; downloads come from a local `http.server` on 127.0.0.1, and the default
mirrors point to a closed local port, so no test ever reaches a real host. The last tests
use Debian's real Fashion-MNIST files when the package is installed.
"""

from __future__ import annotations

import gzip
import hashlib
import http.server
import os
import socket
import struct
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import mininn.datasets as ds
from mininn.cli import main as cli_main
from mininn.data import DataLoader
from mininn.datasets import (
    MNIST,
    DatasetCorruptError,
    DatasetError,
    DatasetNotFoundError,
    FashionMNIST,
    main_data,
    read_idx,
)

SIZES = {"train": 50, "t10k": 20}
DEBIAN = Path("/usr/share/datasets/fashion-mnist")


def idx_bytes(array: np.ndarray, magic: int) -> bytes:
    return struct.pack(f">I{array.ndim}I", magic, *array.shape) + array.astype(np.uint8).tobytes()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def closed_port_url() -> str:
    """A base URL on a local port where nothing listens (connection refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture
def env(tmp_path, monkeypatch):
    """Isolated HOME/cache/system folders, dead mirrors, and synthetic files whose hashes
    are the ones the module expects."""
    rng = np.random.default_rng(0)
    raw, gz = {}, {}
    for prefix, n in SIZES.items():
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        images[0, 0, 0], images[0, 0, 1] = 0, 255  # the full range
        labels = np.arange(n, dtype=np.uint8) % 10
        raw[f"{prefix}-images-idx3-ubyte"] = idx_bytes(images, 2051)
        raw[f"{prefix}-labels-idx1-ubyte"] = idx_bytes(labels, 2049)
    for name, data in raw.items():
        gz[name + ".gz"] = gzip.compress(data, mtime=0)

    checksums = {k: (len(v), sha(v)) for k, v in gz.items()}
    raw_checksums = {k: sha(v) for k, v in raw.items()}
    monkeypatch.setattr(ds, "CHECKSUMS", {"fashion-mnist": checksums, "mnist": checksums})
    monkeypatch.setattr(ds, "RAW_CHECKSUMS", {"fashion-mnist": raw_checksums, "mnist": {}})
    dead = closed_port_url()
    monkeypatch.setattr(ds, "MIRRORS", {"fashion-mnist": [dead], "mnist": [dead]})
    system = tmp_path / "system"
    monkeypatch.setattr(ds, "SYSTEM_DIRS", {"fashion-mnist": [str(system)], "mnist": []})
    monkeypatch.setattr(ds, "_VERIFIED", {})
    monkeypatch.setattr(ds, "_WARNED", set())
    monkeypatch.setattr(ds, "DOWNLOAD_TIMEOUT", 5.0)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv("MININN_DATA", raising=False)
    monkeypatch.delenv("MININN_DATASETS_MIRROR", raising=False)

    def write(folder: Path, compressed: bool = True, splits=("train", "t10k")) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        files = gz if compressed else raw
        for name, data in files.items():
            if name.split("-")[0] in splits:
                (folder / name).write_bytes(data)
        return folder

    return SimpleNamespace(
        tmp=tmp_path,
        raw=raw,
        gz=gz,
        write=write,
        cache=tmp_path / "xdg-cache" / "mininn" / "fashion-mnist",
        system=system,
        dead=dead,
    )


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*")) if folder.exists() else []


# --------------------------------------------------------------------------------------------
# A local HTTP server


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        route = self.server.routes.get(self.path)
        self.server.hits.append(self.path)
        if route is None:
            self.send_error(404)
            return
        body, length = route
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.routes, httpd.hits = {}, []
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}/data/"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()

    def stop():
        if thread.is_alive():
            httpd.shutdown()
            httpd.server_close()
            thread.join()

    httpd.stop = stop
    yield httpd
    stop()


def serve(server, env, split: str = "train", mutate=None):
    """Serve the gz files of a split at /data/<name>; `mutate(name, body) -> (body, length)`."""
    for name, body in env.gz.items():
        if name.startswith(split):
            route = (body, len(body)) if mutate is None else mutate(name, body)
            server.routes["/data/" + name] = route


def use_mirror(monkeypatch, server):
    monkeypatch.setattr(ds, "MIRRORS", {"fashion-mnist": [server.url], "mnist": [server.url]})


# --------------------------------------------------------------------------------------------
# Downloads


def test_download_then_cache_without_network(env, server, monkeypatch, capsys):
    serve(server, env)
    use_mirror(monkeypatch, server)
    train = FashionMNIST(train=True, progress=False)
    assert len(train) == SIZES["train"]
    assert sorted(server.hits) == [
        "/data/train-images-idx3-ubyte.gz",
        "/data/train-labels-idx1-ubyte.gz",
    ]
    assert train.files == {
        "images": env.cache / "train-images-idx3-ubyte.gz",
        "labels": env.cache / "train-labels-idx1-ubyte.gz",
    }
    assert leftovers(env.cache) == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    assert (env.cache / "train-images-idx3-ubyte.gz").read_bytes() == env.gz[
        "train-images-idx3-ubyte.gz"
    ]
    assert capsys.readouterr().err == ""  # progress=False: no bar, no messages

    server.stop()
    ds._VERIFIED.clear()  # a new process: verify the cached files again
    again = FashionMNIST(train=True, progress=False)
    assert again.files == train.files
    np.testing.assert_array_equal(again.data, train.data)


def test_xdg_unset_uses_home_cache(env, server, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME")
    serve(server, env, "t10k")
    use_mirror(monkeypatch, server)
    test = FashionMNIST(train=False, progress=False)
    home_cache = env.tmp / "home" / ".cache" / "mininn" / "fashion-mnist"
    assert test.files["images"] == home_cache / "t10k-images-idx3-ubyte.gz"


@pytest.mark.parametrize(
    "how",
    ["content-length-lies", "no-content-length", "short-announced"],
)
def test_truncated_download(env, server, monkeypatch, how):
    def truncate(name, body):
        half = body[: len(body) // 2]
        return {
            "content-length-lies": (half, len(body)),
            "no-content-length": (half, None),
            "short-announced": (half, len(half)),
        }[how]

    serve(server, env, mutate=truncate)
    use_mirror(monkeypatch, server)
    with pytest.raises(DatasetError) as info:
        FashionMNIST(progress=False)
    message = str(info.value)
    assert server.url + "train-images-idx3-ubyte.gz" in message
    assert "truncated" in message or "announces" in message
    assert leftovers(env.cache) == []  # no file, no .part


def test_wrong_checksum_download(env, server, monkeypatch):
    def corrupt(name, body):
        bad = bytearray(body)
        bad[len(bad) // 2] ^= 0xFF
        return bytes(bad), len(bad)

    serve(server, env, mutate=corrupt)
    use_mirror(monkeypatch, server)
    with pytest.raises(DatasetError) as info:
        FashionMNIST(progress=False)
    message = str(info.value)
    name = "train-images-idx3-ubyte.gz"
    bad = bytearray(env.gz[name])
    bad[len(bad) // 2] ^= 0xFF
    assert server.url + name in message
    assert sha(env.gz[name]) in message and sha(bytes(bad)) in message
    assert leftovers(env.cache) == []


def test_http_404_then_next_mirror(env, server, monkeypatch):
    serve(server, env)
    monkeypatch.setattr(ds, "MIRRORS", {"fashion-mnist": [server.url + "missing/", server.url]})
    train = FashionMNIST(progress=False)
    assert len(train) == SIZES["train"]
    assert "/data/missing/train-images-idx3-ubyte.gz" in server.hits


def test_env_mirror_is_tried_first(env, server, monkeypatch):
    serve(server, env)
    monkeypatch.setenv("MININN_DATASETS_MIRROR", server.url)  # default MIRRORS are dead
    assert len(FashionMNIST(progress=False)) == SIZES["train"]


def test_no_network_lists_places_searched(env):
    with pytest.raises(DatasetNotFoundError) as info:
        FashionMNIST(root=env.tmp / "mine", progress=False)
    message = str(info.value)
    for place in (env.tmp / "mine", env.tmp / "mine" / "fashion-mnist", env.cache, env.system):
        assert str(place) in message
    assert "$MININN_DATA is not set" in message
    assert env.dead + "train-images-idx3-ubyte.gz" in message
    assert "dataset-fashion-mnist" in message and "MININN_DATA" in message
    assert leftovers(env.cache) == []


def test_download_false_never_uses_network(env, server, monkeypatch):
    serve(server, env)
    use_mirror(monkeypatch, server)
    with pytest.raises(DatasetNotFoundError, match="download=False") as info:
        FashionMNIST(download=False)
    assert server.hits == []
    assert str(env.cache) in str(info.value)
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, RuntimeError)


def test_incomplete_cache_downloads_only_what_is_missing(env, server, monkeypatch):
    env.cache.mkdir(parents=True)
    name = "train-labels-idx1-ubyte.gz"
    (env.cache / name).write_bytes(env.gz[name])
    serve(server, env)
    use_mirror(monkeypatch, server)
    FashionMNIST(progress=False)
    assert server.hits == ["/data/train-images-idx3-ubyte.gz"]


# --------------------------------------------------------------------------------------------
# Search order


def test_search_order(env, monkeypatch):
    root, data = env.tmp / "root", env.tmp / "data"
    env.write(root / "fashion-mnist")
    env.write(data)
    env.write(env.cache)
    env.write(env.system)
    monkeypatch.setenv("MININN_DATA", str(data))

    def folder(**kwargs):
        return FashionMNIST(download=False, **kwargs).files["images"].parent

    assert folder(root=root) == root / "fashion-mnist"
    assert folder() == data
    monkeypatch.setenv("MININN_DATA", str(env.tmp / "elsewhere"))
    assert folder(root=env.tmp / "nothing-here") == env.cache
    for p in env.cache.iterdir():
        p.unlink()
    assert folder() == env.system


def test_root_itself_and_torchvision_layout(env):
    env.write(env.tmp / "a")
    assert FashionMNIST(root=env.tmp / "a", download=False).files["labels"].parent == (
        env.tmp / "a"
    )
    env.write(env.tmp / "b" / "MNIST" / "raw")
    m = MNIST(root=str(env.tmp / "b"), download=False)
    assert m.files["images"].parent == env.tmp / "b" / "MNIST" / "raw"
    assert m.classes == [str(d) for d in range(10)]


def test_incomplete_folder_is_skipped_and_reported(env):
    env.write(env.tmp / "root", splits=("train",))
    (env.tmp / "root" / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetNotFoundError, match="incomplete: has train-images"):
        FashionMNIST(root=env.tmp / "root", download=False)
    env.write(env.system)
    assert FashionMNIST(root=env.tmp / "root", download=False).files["images"].parent == (
        env.system
    )


def test_uncompressed_files(env):
    env.write(env.tmp / "raw", compressed=False)
    gz_copy = FashionMNIST(root=env.write(env.tmp / "gz"), train=False, download=False)
    raw_copy = FashionMNIST(root=env.tmp / "raw", train=False, download=False)
    assert raw_copy.files["images"].name == "t10k-images-idx3-ubyte"
    np.testing.assert_array_equal(raw_copy.data, gz_copy.data)


def test_uncompressed_mnist_cannot_be_verified_so_warns(env):
    env.write(env.tmp / "raw", compressed=False)
    with pytest.warns(UserWarning, match="no known SHA-256"):
        m = MNIST(root=env.tmp / "raw", download=False)
    assert len(m) == SIZES["train"]


# --------------------------------------------------------------------------------------------
# Corrupt local files


def corrupt_case(env, what: str) -> Path:
    """A folder whose train-images file is damaged in the way `what` says."""
    folder = env.write(env.tmp / what)
    name = "train-images-idx3-ubyte"
    raw = env.raw[name]
    damaged = {
        "bad-magic": lambda: gzip.compress(struct.pack(">I", 2049) + raw[4:]),
        "truncated-payload": lambda: gzip.compress(raw[:-100]),
        "extra-bytes": lambda: gzip.compress(raw + b"\0" * 7),
        "truncated-header": lambda: gzip.compress(raw[:10]),
        "truncated-gzip": lambda: env.gz[name + ".gz"][:-50],
        "not-gzip-html": lambda: b"<html><body>404</body></html>",
        "wrong-dims": lambda: gzip.compress(idx_bytes(np.zeros((50, 27, 29)), 2051)),
    }[what]()
    (folder / (name + ".gz")).write_bytes(damaged)
    return folder / (name + ".gz")


@pytest.mark.parametrize(
    "what, expected",
    [
        ("bad-magic", "bad magic number 2049"),
        ("truncated-payload", "truncated"),
        ("extra-bytes", "extra bytes"),
        ("truncated-header", "truncated header"),
        ("truncated-gzip", "not a valid gzip file"),
        ("not-gzip-html", "HTML page"),
        ("wrong-dims", "(27, 29)"),
    ],
)
def test_corrupt_file_clear_error(env, what, expected):
    path = corrupt_case(env, what)
    env.write(env.system)  # a good copy later in the search order is NOT used instead
    with pytest.raises(DatasetCorruptError) as info:
        FashionMNIST(root=path.parent, download=False)
    assert isinstance(info.value, ValueError) and isinstance(info.value, DatasetError)
    assert str(path) in str(info.value) and expected in str(info.value)


def test_wrong_checksum_local_file(env):
    folder = env.write(env.tmp / "root")
    name = "t10k-labels-idx1-ubyte"
    other = idx_bytes(np.full(SIZES["t10k"], 3, dtype=np.uint8), 2049)  # valid, other data
    (folder / (name + ".gz")).write_bytes(gzip.compress(other))
    with pytest.raises(DatasetCorruptError) as info:
        FashionMNIST(root=folder, train=False, download=False)
    message = str(info.value)
    assert str(folder / (name + ".gz")) in message
    assert sha(env.raw[name]) in message and sha(other) in message  # expected and actual
    assert sha(env.gz[name + ".gz"]) in message
    assert "Delete it" in message


def test_recompressed_file_accepted_by_content_hash(env):
    """Like Debian's copies: other .gz bytes, same content."""
    folder = env.write(env.tmp / "root")
    for name, data in env.raw.items():
        (folder / (name + ".gz")).write_bytes(gzip.compress(data, compresslevel=1, mtime=123))
    assert len(FashionMNIST(root=folder, download=False)) == SIZES["train"]


def test_verification_is_cached_per_process(env, monkeypatch):
    folder = env.write(env.tmp / "root")
    calls = []
    real = ds._sha256
    monkeypatch.setattr(ds, "_sha256", lambda data: calls.append(1) or real(data))
    FashionMNIST(root=folder, download=False)
    first = len(calls)
    assert first >= 2
    FashionMNIST(root=folder, download=False)
    assert len(calls) == first  # nothing hashed again
    path = folder / "train-labels-idx1-ubyte.gz"
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))  # "modified": verify again
    FashionMNIST(root=folder, download=False)
    assert len(calls) > first


def test_read_idx(env, tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(env.gz["t10k-labels-idx1-ubyte.gz"])
    labels = read_idx(path)
    assert labels.dtype == np.uint8 and labels.shape == (SIZES["t10k"],)
    path.write_bytes(b"\0\0\x08\x01\0\0\0\x09abc")
    with pytest.raises(ValueError, match="truncated"):
        read_idx(path)


# --------------------------------------------------------------------------------------------
# The data set object


def test_items_and_batches(env):
    train = FashionMNIST(root=env.write(env.tmp / "root"), download=False)
    assert train.data.dtype == np.uint8 and train.data.shape == (SIZES["train"], 28, 28)
    assert train.targets.dtype == np.int64 and train.targets.shape == (SIZES["train"],)
    assert train.train is True and train.classes[0] == "T-shirt/top" and len(train.classes) == 10
    x, y = train[0]
    assert x.dtype == np.float32 and x.shape == (1, 28, 28) and type(y) is int
    assert x.min() == 0.0 and x.max() == 1.0
    np.testing.assert_allclose(x[0], train.data[0] / 255, rtol=1e-6)
    idx = np.array([3, 1, 4, 1, 5])
    xb, yb = train.__getitems__(idx)
    assert xb.dtype == np.float32 and xb.shape == (5, 1, 28, 28)
    assert yb.dtype == np.int64 and yb.shape == (5,)
    for k, i in enumerate(idx):
        np.testing.assert_array_equal(xb[k], train[int(i)][0])
        assert yb[k] == train[int(i)][1]
    batches = list(DataLoader(train, batch_size=16, shuffle=True, seed=0))
    assert [b[0].shape for b in batches][-1] == (SIZES["train"] % 16, 1, 28, 28)
    assert "FashionMNIST(train: 50 images" in repr(train)


def test_cli(env, capsys):
    folder = env.write(env.tmp / "root")
    assert main_data(["fashion-mnist", "--root", str(folder), "--no-download"]) == 0
    out = capsys.readouterr().out
    assert str(folder / "train-images-idx3-ubyte.gz") in out
    assert str(folder / "t10k-labels-idx1-ubyte.gz") in out
    assert cli_main(["data", "mnist", "--no-download"]) == 1
    assert "MNIST (training split) not found" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# The real files of Debian's dataset-fashion-mnist


@pytest.fixture
def debian(tmp_path, monkeypatch):
    if not DEBIAN.is_dir():
        pytest.skip("Debian's dataset-fashion-mnist is not installed")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("MININN_DATA", raising=False)
    dead = closed_port_url()
    monkeypatch.setattr(ds, "MIRRORS", {"fashion-mnist": [dead], "mnist": [dead]})
    monkeypatch.setattr(ds, "SYSTEM_DIRS", {"fashion-mnist": [str(DEBIAN)], "mnist": []})


def test_debian_fashion_mnist(debian):
    start = time.perf_counter()
    train = FashionMNIST(train=True, download=False)
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    test = FashionMNIST(train=False, download=False)
    print(f"load: train {seconds:.2f} s, test {time.perf_counter() - start:.2f} s")
    assert train.files["images"] == DEBIAN / "train-images-idx3-ubyte.gz"
    assert len(train) == 60000 and len(test) == 10000
    assert train.data.shape == (60000, 28, 28) and train.data.dtype == np.uint8
    assert test.data.shape == (10000, 28, 28)
    assert train.targets.dtype == np.int64 and train.targets.shape == (60000,)
    assert train.targets.min() == 0 and train.targets.max() == 9
    assert np.bincount(train.targets).tolist() == [6000] * 10
    assert np.bincount(test.targets).tolist() == [1000] * 10

    x, y = next(iter(DataLoader(train, batch_size=128, shuffle=True, seed=0)))
    assert x.shape == (128, 1, 28, 28) and x.data.dtype == np.float32
    assert 0.0 <= x.data.min() and x.data.max() <= 1.0
    assert y.shape == (128,) and y.data.dtype == np.int64
    start = time.perf_counter()
    n = sum(len(b[1].data) for b in DataLoader(train, batch_size=128, shuffle=True, seed=0))
    print(f"one epoch of batches of 128: {time.perf_counter() - start:.3f} s")
    assert n == 60000


# --------------------------------------------------------------------------------------------
# Tiny Shakespeare (a synthetic text stands in, its checksum patched into the table)

TEXT = "First Citizen:\nBefore we proceed any further, hear me speak.\n" * 20


@pytest.fixture
def text_env(tmp_path, monkeypatch):
    body = TEXT.encode()
    monkeypatch.setattr(
        ds, "TEXT_FILES", {"tinyshakespeare": ("tinyshakespeare.txt", "input.txt", len(body),
                                               sha(body))}
    )  # fmt: skip
    monkeypatch.setitem(ds.MIRRORS, "tinyshakespeare", [closed_port_url()])
    monkeypatch.setattr(ds, "_VERIFIED", {})
    monkeypatch.setattr(ds, "DOWNLOAD_TIMEOUT", 5.0)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv("MININN_DATA", raising=False)
    monkeypatch.delenv("MININN_DATASETS_MIRROR", raising=False)
    return SimpleNamespace(
        tmp=tmp_path, body=body, cache=tmp_path / "xdg-cache" / "mininn" / "tinyshakespeare"
    )


def test_tiny_shakespeare_from_root_and_env(text_env, monkeypatch):
    folder = text_env.tmp / "data"
    folder.mkdir()
    (folder / "tinyshakespeare.txt").write_bytes(text_env.body)
    text = ds.TinyShakespeare(root=folder, download=False)
    assert text.text == TEXT and text.path == folder / "tinyshakespeare.txt"
    assert text.itos == sorted(set(TEXT)) and text.stoi["F"] == text.itos.index("F")
    assert text.decode(text.encode("hear me")) == "hear me"
    assert text.data.dtype == np.int64 and len(text.data) == len(TEXT)
    assert len(text.train_data) == round(0.9 * len(TEXT))
    np.testing.assert_array_equal(np.concatenate([text.train_data, text.valid_data]), text.data)
    assert text.train_text + text.valid_text == TEXT
    monkeypatch.setenv("MININN_DATA", str(text_env.tmp))  # found as $MININN_DATA/<name>/input.txt
    (text_env.tmp / "tinyshakespeare").mkdir()
    (text_env.tmp / "tinyshakespeare" / "input.txt").write_bytes(text_env.body)
    again = ds.TinyShakespeare(download=False)
    assert again.path == text_env.tmp / "tinyshakespeare" / "input.txt"


def test_char_vocab_errors():
    vocab = ds.CharVocab("abc")
    with pytest.raises(KeyError, match="'z' is not in the vocabulary"):
        vocab.encode("abz")
    with pytest.raises(IndexError, match="out of range"):
        vocab.decode([0, 3])
    assert vocab.decode(vocab.encode("")) == ""


def test_tiny_shakespeare_download_from_local_server(text_env, server, monkeypatch):
    server.routes["/data/input.txt"] = (text_env.body, len(text_env.body))
    monkeypatch.setitem(ds.MIRRORS, "tinyshakespeare", [server.url])
    text = ds.TinyShakespeare(progress=False)
    assert server.hits == ["/data/input.txt"]
    assert text.path == text_env.cache / "tinyshakespeare.txt"
    assert leftovers(text_env.cache) == ["tinyshakespeare.txt"]
    server.stop()
    ds._VERIFIED.clear()
    assert ds.TinyShakespeare(download=False).text == TEXT  # from the cache, verified again


def test_tiny_shakespeare_wrong_checksum_leaves_nothing(text_env, server, monkeypatch):
    bad = text_env.body.replace(b"speak", b"SPEAK")
    server.routes["/data/input.txt"] = (bad, len(bad))
    monkeypatch.setitem(ds.MIRRORS, "tinyshakespeare", [server.url])
    with pytest.raises(DatasetNotFoundError, match="wrong SHA-256"):
        ds.TinyShakespeare(progress=False)
    assert leftovers(text_env.cache) == []  # no .part file, no half-written text


def test_tiny_shakespeare_corrupt_local_copy(text_env):
    folder = text_env.tmp / "data"
    folder.mkdir()
    (folder / "tinyshakespeare.txt").write_bytes(text_env.body[:-10])
    with pytest.raises(DatasetCorruptError, match=r"(?s)not the Tiny Shakespeare text.*rm '"):
        ds.TinyShakespeare(root=folder, download=False)


def test_tiny_shakespeare_offline_lists_where_it_looked(text_env, monkeypatch):
    with pytest.raises(DatasetNotFoundError) as e:
        ds.TinyShakespeare(root=text_env.tmp / "nowhere", download=False)
    message = str(e.value)
    assert "download=False" in message and str(text_env.tmp / "nowhere") in message
    assert str(text_env.cache) in message and "$MININN_DATA is not set" in message
    with pytest.raises(DatasetNotFoundError, match="cannot connect"):
        ds.TinyShakespeare(progress=False)  # the mirror is a closed local port


def test_real_tiny_shakespeare_when_available():
    if not os.environ.get("MININN_DATA"):
        pytest.skip("MININN_DATA is not set (CI sets it to ../shared/data)")
    try:
        text = ds.TinyShakespeare(download=False)
    except DatasetNotFoundError:
        pytest.skip("no copy of Tiny Shakespeare under $MININN_DATA")
    assert len(text) == 1115394 and len(text.vocab) == 65
    assert text.text.startswith("First Citizen:")


# --------------------------------------------------------------------------------------------
# Word lists


@pytest.fixture
def dicts(tmp_path, monkeypatch):
    folder = tmp_path / "dict"
    folder.mkdir()
    (folder / "american-english").write_text("Dog\ndog's\ndog\ncat\npiano\nwell-known\nA\n")
    (folder / "italian").write_text("cane\ngatto\npiano\nperché\na\n", encoding="utf-8")
    monkeypatch.setattr(ds, "DICT_DIRS", [str(folder)])
    monkeypatch.delenv("MININN_DATA", raising=False)
    return folder


def test_word_lists_normalise_deduplicate_and_drop_shared(dicts):
    wl = ds.WordLists(("english", "italian"))
    assert wl.words == ["dog", "cat", "cane", "gatto", "perché"]
    assert wl.labels.tolist() == [0, 0, 1, 1, 1]
    assert wl.files["italian"] == dicts / "italian"
    assert wl[4] == ("perché", 1) and "é" in wl.alphabet
    keep = ds.WordLists(("english", "italian"), drop_shared=False)
    assert "piano" in keep.words and keep.words.count("a") == 2


def test_word_lists_split_is_seeded_and_stratified(dicts):
    wl = ds.WordLists(("english", "italian"), drop_shared=False)
    (tr_w, tr_y), (te_w, te_y) = wl.split(0.4, seed=1)
    assert sorted(tr_w + te_w) == sorted(wl.words)
    assert sorted(te_y.tolist()) == [0, 0, 1, 1]  # 40% of 4 English and 5 Italian words
    assert wl.split(0.4, seed=1)[1][0] == te_w
    small = ds.WordLists(("english", "italian"), max_per_language=2, seed=3)
    assert np.bincount(small.labels).tolist() == [2, 2]


def test_word_list_missing_names_the_package(dicts, monkeypatch):
    with pytest.raises(DatasetNotFoundError, match="sudo apt install wngerman"):
        ds.WordLists(("english", "german"))
    with pytest.raises(ValueError, match="languages must be distinct names"):
        ds.WordLists(("english", "klingon"))


@pytest.mark.skipif(
    not Path("/usr/share/dict/american-english").is_file(), reason="wamerican not installed"
)
def test_real_word_lists_when_installed():
    wl = ds.WordLists(("english",), max_per_language=500)
    assert len(wl) == 500 and all(w.isalpha() and w == w.lower() for w in wl.words)
