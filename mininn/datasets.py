"""Image datasets: Fashion-MNIST and MNIST, found on disk or downloaded, always verified.

>>> from mininn.datasets import FashionMNIST
>>> train = FashionMNIST(train=True)  # doctest: +SKIP
>>> image, label = train[0]  # doctest: +SKIP
>>> image.shape, image.dtype, train.classes[label]  # doctest: +SKIP
((1, 28, 28), dtype('float32'), 'Ankle boot')

Where the files are looked for, in this order (the first folder that has both files of the
requested split wins):

1. ``root`` (the argument): the folder itself, ``root/<name>/`` and ``root/<Class>/raw/``
   (torchvision's layout), where ``<name>`` is ``fashion-mnist`` or ``mnist``;
2. ``$MININN_DATA``, in the same three forms;
3. the user cache, ``$XDG_CACHE_HOME/mininn/<name>/`` (default ``~/.cache/mininn/<name>/``);
4. system folders, ``SYSTEM_DIRS[name]``: ``/usr/share/datasets/fashion-mnist`` (Debian's
   package ``dataset-fashion-mnist``) or ``/usr/share/datasets/mnist``.

If none has them and ``download=True``, the missing files are downloaded into the user cache
(``$MININN_DATASETS_MIRROR`` first, then ``MIRRORS[name]``), written atomically: streamed
into a ``.part`` file next to the target, checked (size and SHA-256), then renamed.

The files are the four IDX files ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, gzip-compressed (``.gz``) or not.
Every file is checked before use: its IDX header (magic number, dimensions, payload length)
and its SHA-256, either of the ``.gz`` file as published or of its uncompressed content
(Debian recompressed its copies). A file that fails is reported, never skipped silently.
Problems raise `DatasetError` (a `RuntimeError`) or one of its subclasses.

Text: `TinyShakespeare` (``tinyshakespeare.txt``, found and downloaded the same way, checked
by size and SHA-256, with a `CharVocab` and a 90%/10% train/validation split in time) and
`WordLists` (Debian's word lists ``/usr/share/dict/{american-english,french,ngerman,spanish,
italian}`` from the packages ``wamerican``, ``wfrench``, ``wngerman``, ``wspanish`` and
``witalian``, for classifying a word's language).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import operator
import os
import struct
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from mininn.data import Dataset

__all__ = [
    "FashionMNIST",
    "MNIST",
    "DatasetError",
    "DatasetNotFoundError",
    "DatasetCorruptError",
    "DatasetDownloadError",
    "read_idx",
    "MIRRORS",
    "SYSTEM_DIRS",
    "main_data",
]


# ---------------------------------------------------------------------------------------------
# Errors


class DatasetError(RuntimeError):
    """A data set could not be found, is corrupt, or could not be downloaded.

    >>> from mininn import datasets
    >>> issubclass(datasets.DatasetNotFoundError, datasets.DatasetError)  # catch them all
    True
    >>> issubclass(datasets.DatasetError, RuntimeError)
    True
    """


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """No copy of the files anywhere, and no download (not allowed, or it failed).

    >>> from mininn import datasets
    >>> issubclass(datasets.DatasetNotFoundError, datasets.DatasetError)
    True
    >>> issubclass(datasets.DatasetNotFoundError, FileNotFoundError)
    True
    """


class DatasetCorruptError(DatasetError, ValueError):
    """A file exists but is damaged, truncated, or not the expected data (wrong checksum).

    >>> from mininn import datasets
    >>> issubclass(datasets.DatasetCorruptError, datasets.DatasetError)
    True
    >>> issubclass(datasets.DatasetCorruptError, ValueError)
    True
    """


class DatasetDownloadError(DatasetError):
    """One download attempt failed (HTTP error, no connection, truncated, wrong checksum).

    >>> from mininn import datasets
    >>> issubclass(datasets.DatasetDownloadError, datasets.DatasetError)
    True
    """


# ---------------------------------------------------------------------------------------------
# Where the files are, and what they must be

_SPLIT_FILES = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

#: Base URLs to download from, tried in order, per data set (``$MININN_DATASETS_MIRROR``,
#: when set, is tried before these).
MIRRORS: dict[str, list[str]] = {
    "fashion-mnist": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"],
    "mnist": ["https://storage.googleapis.com/cvdf-datasets/mnist/"],
}

#: Folders of system-wide copies, searched last.
SYSTEM_DIRS: dict[str, list[str]] = {
    "fashion-mnist": ["/usr/share/datasets/fashion-mnist"],
    "mnist": ["/usr/share/datasets/mnist"],
}

# Published checksums of the canonical files: file name -> (size in bytes, SHA-256).
CHECKSUMS: dict[str, dict[str, tuple[int, str]]] = {
    "fashion-mnist": {
        "t10k-images-idx3-ubyte.gz": (
            4422102,
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        ),
        "t10k-labels-idx1-ubyte.gz": (
            5148,
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        ),
        "train-images-idx3-ubyte.gz": (
            26421880,
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        ),
        "train-labels-idx1-ubyte.gz": (
            29515,
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        ),
    },
    "mnist": {
        "t10k-images-idx3-ubyte.gz": (
            1648877,
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        ),
        "t10k-labels-idx1-ubyte.gz": (
            4542,
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        ),
        "train-images-idx3-ubyte.gz": (
            9912422,
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        ),
        "train-labels-idx1-ubyte.gz": (
            28881,
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        ),
    },
}

# SHA-256 of the uncompressed content, where known (the same for every correct copy,
# however it was compressed): file name without .gz -> SHA-256.
RAW_CHECKSUMS: dict[str, dict[str, str]] = {
    "fashion-mnist": dict(
        line.split()
        for line in """
        t10k-images-idx3-ubyte 5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b
        t10k-labels-idx1-ubyte 0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34
        train-images-idx3-ubyte c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888
        train-labels-idx1-ubyte bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9
        """.strip().splitlines()
    ),
    "mnist": {},
}

DOWNLOAD_TIMEOUT = 30.0  # seconds without progress before a download attempt is given up
_CHUNK = 1 << 16
_IDX_MAGIC = {"images": 2051, "labels": 2049}

# Files already verified in this process: (real path, size, mtime_ns) -> True.
_VERIFIED: dict[tuple[str, int, int], bool] = {}
_WARNED: set[str] = set()


def cache_dir(name: str) -> Path:
    """The user cache folder of a data set: ``$XDG_CACHE_HOME/mininn/<name>`` or
    ``~/.cache/mininn/<name>``."""
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "mininn" / name


def _search_dirs(name: str, dirname: str, root: Any) -> list[tuple[Path | None, str]]:
    """The folders to look in, in order, each with a note of where it comes from."""
    out: list[tuple[Path | None, str]] = []
    for value, origin in ((root, "root="), (os.environ.get("MININN_DATA") or None, "$MININN_DATA")):
        if value is None:
            if origin == "$MININN_DATA":
                out.append((None, "$MININN_DATA is not set"))
            continue
        base = Path(os.path.expanduser(os.fspath(value)))
        out += [(base, origin), (base / name, origin), (base / dirname / "raw", origin)]
    out.append((cache_dir(name), "user cache"))
    out += [(Path(d), "system") for d in SYSTEM_DIRS.get(name, [])]
    return out


def _find_file(folder: Path, base: str) -> Path | None:
    for candidate in (folder / (base + ".gz"), folder / base):
        if candidate.is_file():
            return candidate
    return None


# ---------------------------------------------------------------------------------------------
# IDX files

_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def _read_bytes(path: Path) -> tuple[bytes, bytes]:
    """(bytes of the file as stored, uncompressed content); gzip is detected by content."""
    try:
        stored = path.read_bytes()
    except OSError as e:
        raise DatasetError(f"{path}: cannot read the file: {e}") from e
    if stored[:2] != b"\x1f\x8b":
        return stored, stored
    try:
        return stored, _gunzip(stored)
    except (OSError, EOFError, zlib.error) as e:
        raise DatasetCorruptError(
            f"{path}: not a valid gzip file ({e}); probably a truncated or damaged download"
        ) from e


def _gunzip(stored: bytes) -> bytes:
    """Decompress a gzip file, ~30% faster than `gzip.decompress` for the usual one-member
    file by sizing the output buffer from the trailer's length field (checked afterwards)."""
    size = int.from_bytes(stored[-4:], "little")  # uncompressed size mod 2**32
    hint = min(size, 1100 * len(stored), 1 << 30)  # deflate expands at most ~1032x
    try:
        content = zlib.decompress(stored, 31, max(hint, 1))
    except zlib.error:
        content = None
    if content is not None and len(content) == size:
        return content
    # Several gzip members, trailing bytes, or damage: the standard path, with its errors.
    return gzip.decompress(stored)


def _parse_idx(content: bytes, path: Path, magic: int | None = None) -> np.ndarray:
    """Check an IDX file's header and length and return its array (a view of `content`)."""
    what = f"{path}: not a valid IDX file"
    if len(content) < 4:
        raise DatasetCorruptError(f"{what}: only {len(content)} bytes long (empty or truncated)")
    found = int.from_bytes(content[:4], "big")
    if magic is not None and found != magic:
        hint = ""
        if content[:2] == b"\x1f\x8b":
            hint = " (it looks gzip-compressed twice)"
        elif content.lstrip()[:1] == b"<":
            hint = " (it looks like an HTML page, e.g. an error page saved instead of the data)"
        raise DatasetCorruptError(
            f"{what}: bad magic number {found} (0x{found:08x}), expected {magic} "
            f"(0x{magic:08x}){hint}"
        )
    if content[:2] != b"\0\0" or content[2] not in _IDX_DTYPES or content[3] == 0:
        raise DatasetCorruptError(f"{what}: bad magic number {found} (0x{found:08x})")
    dtype, ndim = _IDX_DTYPES[content[2]], content[3]
    header = 4 + 4 * ndim
    if len(content) < header:
        raise DatasetCorruptError(
            f"{what}: truncated header ({len(content)} bytes, the {ndim} dimensions need {header})"
        )
    dims = struct.unpack(f">{ndim}I", content[4:header])
    expected = header + int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(content) != expected:
        problem = "truncated" if len(content) < expected else "has extra bytes at the end"
        raise DatasetCorruptError(
            f"{path}: IDX file {problem}: its header says shape {tuple(dims)}, which needs "
            f"{expected} bytes, but the (uncompressed) file has {len(content)}"
        )
    return np.frombuffer(content, dtype=dtype, offset=header).reshape(dims)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (gzip-compressed or not) into an array of the shape its header
    gives, e.g. uint8 (N, 28, 28) for MNIST images; no checksum is checked. Raises
    `DatasetCorruptError` (a `ValueError`) naming the file if it is damaged or truncated.

    >>> import os, struct, tempfile
    >>> import numpy as np
    >>> from mininn.datasets import read_idx
    >>> path = os.path.join(tempfile.mkdtemp(), "images-idx3-ubyte")
    >>> with open(path, "wb") as f:  # magic: 0, 0, type 0x08 (uint8), 3 dimensions
    ...     _ = f.write(struct.pack(">BBBBIII", 0, 0, 8, 3, 2, 4, 5) + bytes(40))
    >>> read_idx(path).shape, read_idx(path).dtype
    ((2, 4, 5), dtype('uint8'))
    """
    path = Path(path)
    _, content = _read_bytes(path)
    return _parse_idx(content, path).copy()


def _stat_key(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return (os.path.realpath(path), st.st_size, st.st_mtime_ns)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _verify(name: str, title: str, path: Path, base: str, stored: bytes, content: bytes) -> None:
    """Accept the file if the .gz file's SHA-256 or its content's SHA-256 is a known one."""
    key = _stat_key(path)
    if _VERIFIED.get(key):
        return
    published = CHECKSUMS.get(name, {}).get(base + ".gz")
    raw = RAW_CHECKSUMS.get(name, {}).get(base)
    compressed = stored is not content
    stored_hash = _sha256(stored) if compressed else None
    if compressed and published is not None and stored_hash == published[1]:
        _VERIFIED[key] = True
        return
    content_hash = _sha256(content) if raw is not None else None
    if raw is not None and content_hash == raw:
        _VERIFIED[key] = True
        return
    if raw is None and not compressed:
        # No published checksum of the uncompressed file: usable, but only structurally checked.
        if str(path) not in _WARNED:
            _WARNED.add(str(path))
            warnings.warn(
                f"{path}: no known SHA-256 for the uncompressed {title} file, so it was "
                f"only checked for a valid IDX header and length; keep the original "
                f"{base}.gz instead to have it verified.",
                stacklevel=4,
            )
        _VERIFIED[key] = True
        return
    lines = [f"{path}: the SHA-256 checksum does not match the {title} file {base}."]
    if compressed and published is not None:
        lines.append(f"  expected (published .gz file): {published[1]}")
        lines.append(f"  actual   (this .gz file):      {stored_hash}")
    if raw is not None:
        lines.append(f"  expected (uncompressed):       {raw}")
        lines.append(f"  actual   (uncompressed):       {content_hash}")
    lines.append("The file is damaged or is not this data set. " + _how_to_fix(path, name))
    raise DatasetCorruptError("\n".join(lines))


def _how_to_fix(path: Path, name: str) -> str:
    return (
        f"Delete it (rm '{path}') and run again to use another copy or to download it "
        f"anew (`mininn data {name}`), or replace it with a good copy."
    )


def _load_file(name: str, title: str, path: Path, base: str, kind: str) -> np.ndarray:
    try:
        stored, content = _read_bytes(path)
        array = _parse_idx(content, path, _IDX_MAGIC[kind])
        if kind == "images" and array.shape[1:] != (28, 28):
            raise DatasetCorruptError(
                f"{path}: images of shape {array.shape[1:]}, expected (28, 28) for {title}"
            )
    except DatasetCorruptError as e:
        raise DatasetCorruptError(f"{e}.\n{_how_to_fix(path, name)}") from None
    _verify(name, title, path, base, stored, content)
    return array


# ---------------------------------------------------------------------------------------------
# Downloading


def _mirror_list(name: str) -> list[str]:
    first = os.environ.get("MININN_DATASETS_MIRROR", "").strip()
    return ([first] if first else []) + list(MIRRORS.get(name, []))


def _download(url: str, target: Path, size: int, sha256: str, progress: bool) -> None:
    """Stream `url` into a .part file beside `target`, check size and SHA-256, rename."""
    from tqdm import tqdm

    target.parent.mkdir(parents=True, exist_ok=True)
    fd, part_name = tempfile.mkstemp(prefix=target.name + ".", suffix=".part", dir=target.parent)
    part = Path(part_name)
    digest, received = hashlib.sha256(), 0
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "mininn"})
        with (
            os.fdopen(fd, "wb") as out,
            urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT) as response,
        ):
            announced = response.headers.get("Content-Length")
            if announced is not None and announced.isdigit() and int(announced) != size:
                raise DatasetDownloadError(
                    f"{url}: the server announces {announced} bytes, expected {size}"
                )
            with tqdm(
                total=size,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=target.name,
                disable=not progress,
                leave=False,
            ) as bar:
                while chunk := response.read(_CHUNK):
                    received += len(chunk)
                    if received > size:
                        raise DatasetDownloadError(
                            f"{url}: the server sent more than the expected {size} bytes"
                        )
                    digest.update(chunk)
                    out.write(chunk)
                    bar.update(len(chunk))
        if received != size:
            raise DatasetDownloadError(
                f"{url}: truncated download: received {received} of {size} bytes"
            )
        actual = digest.hexdigest()
        if actual != sha256:
            raise DatasetDownloadError(
                f"{url}: wrong SHA-256 checksum: expected {sha256}, got {actual}"
            )
        os.replace(part, target)
    except DatasetDownloadError:
        part.unlink(missing_ok=True)
        raise
    except urllib.error.HTTPError as e:
        part.unlink(missing_ok=True)
        raise DatasetDownloadError(f"{url}: HTTP error {e.code} {e.reason}") from e
    except urllib.error.URLError as e:
        part.unlink(missing_ok=True)
        raise DatasetDownloadError(f"{url}: cannot connect: {e.reason}") from e
    except (OSError, ValueError, EOFError) as e:  # timeouts, resets, IncompleteRead, disk full
        part.unlink(missing_ok=True)
        problem = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        raise DatasetDownloadError(
            f"{url}: download failed after {received} bytes: {problem}"
        ) from e
    except BaseException:  # KeyboardInterrupt: leave nothing half-written behind
        part.unlink(missing_ok=True)
        raise
    _VERIFIED[_stat_key(target)] = True


# ---------------------------------------------------------------------------------------------
# The data sets


class _IDXImages(Dataset):
    """Shared code of the 28x28 grey-scale IDX data sets (see the subclasses)."""

    name = ""  # folder and key of the tables: "fashion-mnist", "mnist"
    title = ""  # for messages: "Fashion-MNIST"
    class_names: tuple[str, ...] = ()
    apt_package: str | None = None

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        train: bool = True,
        download: bool = True,
        progress: bool = True,
    ):
        self.train = bool(train)
        self.classes = list(self.class_names)
        self.files = self._locate(root, download, progress)
        images, labels = (
            _load_file(self.name, self.title, self.files[kind], base, kind)
            for kind, base in zip(("images", "labels"), self._bases, strict=True)
        )
        if len(images) != len(labels):
            raise DatasetCorruptError(
                f"{self.files['images']} has {len(images)} images but "
                f"{self.files['labels']} has {len(labels)} labels"
            )
        if labels.size and int(labels.max()) >= len(self.classes):
            raise DatasetCorruptError(
                f"{self.files['labels']}: label {int(labels.max())} out of range 0.."
                f"{len(self.classes) - 1}"
            )
        self.data = images.copy()  # writable uint8 (N, 28, 28), ~47 MB for 60000 images
        self.targets = labels.astype(np.int64)

    @property
    def _bases(self) -> tuple[str, str]:
        return _SPLIT_FILES[self.train]

    def _locate(self, root: Any, download: bool, progress: bool) -> dict[str, Path]:
        split = "training" if self.train else "test"
        searched: list[str] = []
        cache = cache_dir(self.name)
        for folder, origin in _search_dirs(self.name, type(self).__name__, root):
            if folder is None:
                searched.append(f"  {origin}")
                continue
            found = [_find_file(folder, b) for b in self._bases]
            if all(found):
                return {"images": found[0], "labels": found[1]}
            if any(found):
                have = ", ".join(p.name for p in found if p)
                missing = ", ".join(
                    f"{b}[.gz]" for b, p in zip(self._bases, found, strict=True) if not p
                )
                state = f"incomplete: has {have}, missing {missing}"
            else:
                state = "no such folder" if not folder.is_dir() else "no data files"
            searched.append(f"  {folder}  ({origin}): {state}")

        how = [f"To get the {self.title} data, do one of:"]
        if self.apt_package:
            how.append(f"  - install Debian's package: sudo apt install {self.apt_package}")
        names = ", ".join(f"{b}.gz" for pair in _SPLIT_FILES.values() for b in pair)
        how += [
            f"  - put the files ({names}) in a folder and set MININN_DATA to it, or pass "
            "root=<folder>",
            f"  - connect to the internet and run again with download=True (the files go to "
            f"{cache})",
        ]
        where = "\n".join(["Looked in:", *searched])
        if not download:
            raise DatasetNotFoundError(
                f"{self.title} ({split} split) not found, and download=False.\n"
                f"{where}\n" + "\n".join(how)
            )

        # Download what the user cache lacks; keep what it has (it is verified when loaded).
        files: dict[str, Path] = {}
        for kind, base in zip(("images", "labels"), self._bases, strict=True):
            present = _find_file(cache, base)
            if present is not None:
                files[kind] = present
                continue
            gz = base + ".gz"
            size, sha = CHECKSUMS[self.name][gz]
            errors = []
            if progress:
                print(f"Downloading {self.title} {gz} into {cache}", file=sys.stderr)
            for mirror in _mirror_list(self.name):
                url = mirror.rstrip("/") + "/" + gz
                try:
                    _download(url, cache / gz, size, sha, progress)
                    break
                except DatasetDownloadError as e:
                    errors.append(f"  {e}")
                except OSError as e:  # cannot create the cache folder or the .part file
                    errors.append(f"  {url}: cannot write into {cache}: {e}")
            else:
                if not errors:
                    errors.append(f"  no mirror configured (MIRRORS[{self.name!r}] is empty)")
                raise DatasetNotFoundError(
                    f"{self.title} ({split} split) not found, and downloading {gz} "
                    f"failed.\n{where}\nDownload attempts:\n"
                    + "\n".join(errors)
                    + "\n"
                    + "\n".join(how)
                )
            files[kind] = cache / gz
        return files

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[np.ndarray, int]:
        """One example: (float32 image (1, 28, 28) in [0, 1], int label)."""
        i = operator.index(index)
        image = self.data[i].astype(np.float32)
        image /= 255
        return image[None], int(self.targets[i])

    def __getitems__(self, indices: Any) -> tuple[np.ndarray, np.ndarray]:
        """A batch: (float32 images (B, 1, 28, 28) in [0, 1], int64 labels (B,)), built with
        one fancy-indexing operation and converted from uint8 on the fly."""
        idx = np.asarray(indices, dtype=np.intp)
        images = self.data[idx].astype(np.float32)
        images /= 255
        return images[:, None], self.targets[idx]

    def __repr__(self) -> str:
        split = "train" if self.train else "test"
        return (
            f"{type(self).__name__}({split}: {len(self)} images 1x28x28, "
            f"{len(self.classes)} classes, from {self.files['images'].parent})"
        )


class FashionMNIST(_IDXImages):
    """Fashion-MNIST: 28x28 grey-scale photos of clothes in 10 classes; 60000 training and
    10000 test images (6000 / 1000 per class).

    ``ds[i]`` is ``(float32 image (1, 28, 28) in [0, 1], int label)``; a DataLoader's batches
    are ``(Tensor float32 (B, 1, 28, 28), Tensor int64 (B,))``.

    Parameters
    ----------
    root : folder or None
        Where to look first (also ``root/fashion-mnist/`` and ``root/FashionMNIST/raw/``);
        then ``$MININN_DATA``, ``~/.cache/mininn/fashion-mnist/`` and
        ``/usr/share/datasets/fashion-mnist`` (Debian's ``dataset-fashion-mnist``).
    train : bool
        The training split (True) or the test split (False).
    download : bool
        Download into ``~/.cache/mininn/fashion-mnist/`` if no copy is found.
    progress : bool
        Show a progress bar while downloading.

    Attributes
    ----------
    data : uint8 ndarray (N, 28, 28)
        The images, pixel values 0..255.
    targets : int64 ndarray (N,)
        The labels, 0..9.
    classes : list of str
        The class names, ``classes[label]``.
    train : bool
    files : dict
        The paths used: ``{"images": Path, "labels": Path}``.

    >>> from mininn.datasets import FashionMNIST
    >>> test = FashionMNIST(train=False)  # doctest: +SKIP
    >>> image, label = test[0]  # doctest: +SKIP
    >>> len(test), image.shape, image.dtype, len(test.classes)  # doctest: +SKIP
    (10000, (1, 28, 28), dtype('float32'), 10)
    """

    name = "fashion-mnist"
    title = "Fashion-MNIST"
    class_names = (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    )
    apt_package = "dataset-fashion-mnist"


class MNIST(_IDXImages):
    """MNIST: 28x28 grey-scale hand-written digits 0..9; 60000 training and 10000 test images.

    Same parameters and attributes as `FashionMNIST`; the folders searched are ``root``
    (also ``root/mnist/`` and ``root/MNIST/raw/``), ``$MININN_DATA``,
    ``~/.cache/mininn/mnist/`` and ``/usr/share/datasets/mnist``. ``classes`` is
    ``["0", ..., "9"]``. Uncompressed MNIST files cannot be checked against a published
    checksum (only the ``.gz`` files have one), so they are accepted with a warning after
    checking their IDX structure.

    >>> from mininn.datasets import MNIST
    >>> test = MNIST(train=False)  # doctest: +SKIP
    >>> image, label = test[0]  # doctest: +SKIP
    >>> len(test), image.shape, image.dtype, len(test.classes)  # doctest: +SKIP
    (10000, (1, 28, 28), dtype('float32'), 10)
    """

    name = "mnist"
    title = "MNIST"
    class_names = tuple(str(d) for d in range(10))


_DATASETS: dict[str, type[_IDXImages]] = {"fashion-mnist": FashionMNIST, "mnist": MNIST}


# ---------------------------------------------------------------------------------------------
# Command line: `mininn data`


def add_data_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The arguments of `mininn data` (shared by `main_data` and `mininn.cli`)."""
    parser.add_argument(
        "dataset",
        nargs="?",
        default="fashion-mnist",
        choices=[*sorted(_DATASETS), "tinyshakespeare"],
        help="which data set (default fashion-mnist)",
    )
    parser.add_argument("--root", metavar="DIR", help="folder to look in first")
    parser.add_argument(
        "--no-download", action="store_true", help="only look for local copies, never download"
    )
    return parser


def run_data(args: argparse.Namespace) -> int:
    """Find (or download) and verify both splits; print where the files are."""
    if args.dataset == "tinyshakespeare":
        try:
            text = TinyShakespeare(root=args.root, download=not args.no_download)
        except DatasetError as e:
            print(f"mininn data: {e}", file=sys.stderr)
            return 1
        print(f"{text!r}, verified\n  {text.path}")
        return 0
    cls = _DATASETS[args.dataset]
    try:
        for train in (True, False):
            start = time.perf_counter()
            ds = cls(root=args.root, train=train, download=not args.no_download)
            seconds = time.perf_counter() - start
            split = "train" if train else "test"
            print(f"{cls.title} {split}: {len(ds)} images, verified, loaded in {seconds:.2f} s")
            for path in ds.files.values():
                print(f"  {path}")
    except DatasetError as e:
        print(f"mininn data: {e}", file=sys.stderr)
        return 1
    return 0


def main_data(argv: list[str] | None = None) -> int:
    """``mininn data [fashion-mnist|mnist] [--root DIR] [--no-download]``; returns the exit
    code (0 when both splits are there and verified).

    >>> from mininn.datasets import main_data
    >>> main_data(["mnist", "--no-download"])  # doctest: +SKIP
    0
    """
    parser = argparse.ArgumentParser(
        prog="mininn data", description="Find, download and verify a data set."
    )
    return run_data(add_data_arguments(parser).parse_args(argv))


# ---------------------------------------------------------------------------------------------
# Text: Tiny Shakespeare (found, verified and downloaded like the image data sets)

MIRRORS["tinyshakespeare"] = [
    "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/"
]

#: Plain-text data sets: name -> (file name in mininn's folders, file name at the mirrors,
#: size in bytes, SHA-256).
TEXT_FILES: dict[str, tuple[str, str, int, str]] = {
    "tinyshakespeare": (
        "tinyshakespeare.txt",
        "input.txt",
        1115394,
        "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
    ),
}


class CharVocab:
    """A character vocabulary: ``itos[i]`` is the character of id i, ``stoi[ch]`` its id.

    Ids follow the characters' sorted order (so the same text always gives the same ids).

    >>> vocab = CharVocab("hello")
    >>> vocab.itos, vocab.encode("hole").tolist(), vocab.decode([0, 1])
    (['e', 'h', 'l', 'o'], [1, 3, 2, 0], 'eh')
    """

    def __init__(self, chars: Any):
        self.itos: list[str] = sorted(set(chars))
        self.stoi: dict[str, int] = {ch: i for i, ch in enumerate(self.itos)}
        self._table = np.full(max((ord(c) for c in self.itos), default=0) + 1, -1, np.int64)
        for ch, i in self.stoi.items():
            self._table[ord(ch)] = i

    def __len__(self) -> int:
        return len(self.itos)

    def __repr__(self) -> str:
        return f"CharVocab({len(self)} characters: {''.join(self.itos)!r})"

    def encode(self, text: str) -> np.ndarray:
        """int64 ids (len(text),) of the characters of `text`; unknown ones raise KeyError."""
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
        known = codes < len(self._table)
        ids = np.where(known, self._table[np.where(known, codes, 0)], -1)
        if (ids < 0).any():
            bad = text[int(np.argmax(ids < 0))]
            raise KeyError(f"character {bad!r} is not in the vocabulary of {len(self)} characters")
        return ids

    def decode(self, ids: Any) -> str:
        """The text of a sequence of ids (ints, a list or a 1-D array)."""
        flat = np.asarray(ids).reshape(-1)
        if flat.size and (flat.min() < 0 or flat.max() >= len(self)):
            raise IndexError(f"id out of range [0, {len(self)}) in decode: {flat.tolist()[:10]}")
        return "".join(self.itos[int(i)] for i in flat)


def _locate_text(name: str, title: str, root: Any, download: bool, progress: bool) -> Path:
    """Find (or download into the user cache) a verified plain-text data set file."""
    filename, remote, size, sha = TEXT_FILES[name]
    searched: list[str] = []
    for folder, origin in _search_dirs(name, title.replace(" ", ""), root):
        if folder is None:
            searched.append(f"  {origin}")
            continue
        names = [filename] + ([remote] if folder.name == name else [])
        found = next((folder / f for f in names if (folder / f).is_file()), None)
        if found is not None:
            _verify_text(found, name, title, size, sha)
            return found
        state = "no such folder" if not folder.is_dir() else f"no {filename}"
        searched.append(f"  {folder}  ({origin}): {state}")
    cache = cache_dir(name)
    where = "\n".join(["Looked in:", *searched])
    how = (
        f"To get {title}, do one of:\n"
        f"  - download {MIRRORS[name][0]}{remote} and save it as {filename} in a folder, then "
        "set MININN_DATA to that folder or pass root=<folder>\n"
        f"  - connect to the internet and run again with download=True (it goes to {cache})"
    )
    if not download:
        raise DatasetNotFoundError(f"{title} not found, and download=False.\n{where}\n{how}")
    errors = []
    if progress:
        print(f"Downloading {title} into {cache}", file=sys.stderr)
    for mirror in _mirror_list(name):
        url = mirror.rstrip("/") + "/" + remote
        try:
            _download(url, cache / filename, size, sha, progress)
            return cache / filename
        except DatasetDownloadError as e:
            errors.append(f"  {e}")
        except OSError as e:
            errors.append(f"  {url}: cannot write into {cache}: {e}")
    raise DatasetNotFoundError(
        f"{title} not found, and downloading it failed.\n{where}\nDownload attempts:\n"
        + "\n".join(errors)
        + "\n"
        + how
    )


def _verify_text(path: Path, name: str, title: str, size: int, sha: str) -> None:
    key = _stat_key(path)
    if _VERIFIED.get(key):
        return
    stored, _ = _read_bytes(path)
    actual = _sha256(stored)
    if len(stored) != size or actual != sha:
        raise DatasetCorruptError(
            f"{path}: this is not the {title} text: expected {size} bytes with SHA-256 {sha}, "
            f"found {len(stored)} bytes with SHA-256 {actual}.\n{_how_to_fix(path, name)}"
        )
    _VERIFIED[key] = True


class TinyShakespeare:
    """Tiny Shakespeare: 1,115,394 characters of Shakespeare's plays (65 distinct characters),
    the corpus of Karpathy's char-rnn, for character-level language models.

    Parameters
    ----------
    root : folder or None
        Where to look first for ``tinyshakespeare.txt`` (also ``root/tinyshakespeare/``, where
        char-rnn's name ``input.txt`` is accepted too); then ``$MININN_DATA`` and
        ``~/.cache/mininn/tinyshakespeare/``.
    download : bool
        Download from char-rnn's repository into the user cache if no copy is found. Every
        copy is checked (size and SHA-256) before use.
    progress : bool
        Show a progress bar while downloading.
    valid_fraction : float
        The last ``valid_fraction`` of the text (10% by default) is the validation split, the
        rest the training split: a split in time, so no validation passage is seen in
        training.

    Attributes
    ----------
    text : str
        The whole text.
    vocab : CharVocab
        Its characters, sorted; ``stoi``/``itos`` are shortcuts to the vocabulary's.
    data : int64 ndarray (len(text),)
        The whole text encoded.
    train_data, valid_data : int64 ndarray
        The two splits of ``data`` (``train_text``, ``valid_text`` hold them as text).
    path : Path
        The file used.

    >>> ds = TinyShakespeare()  # doctest: +SKIP
    >>> len(ds.vocab), ds.decode(ds.encode("To be"))  # doctest: +SKIP
    (65, 'To be')
    """

    name = "tinyshakespeare"
    title = "Tiny Shakespeare"

    def __init__(
        self,
        root: str | os.PathLike | None = None,
        download: bool = True,
        progress: bool = True,
        valid_fraction: float = 0.1,
    ):
        if not 0.0 < valid_fraction < 1.0:
            raise ValueError(f"valid_fraction must be in (0, 1), got {valid_fraction}")
        self.path = _locate_text(self.name, self.title, root, download, progress)
        self.text = self.path.read_bytes().decode("utf-8")
        self.vocab = CharVocab(self.text)
        self.data = self.vocab.encode(self.text)
        self.split_index = int(round(len(self.data) * (1.0 - valid_fraction)))
        self.train_data = self.data[: self.split_index]
        self.valid_data = self.data[self.split_index :]

    @property
    def stoi(self) -> dict[str, int]:
        return self.vocab.stoi

    @property
    def itos(self) -> list[str]:
        return self.vocab.itos

    @property
    def train_text(self) -> str:
        return self.text[: self.split_index]

    @property
    def valid_text(self) -> str:
        return self.text[self.split_index :]

    def encode(self, text: str) -> np.ndarray:
        return self.vocab.encode(text)

    def decode(self, ids: Any) -> str:
        return self.vocab.decode(ids)

    def __len__(self) -> int:
        return len(self.text)

    def __repr__(self) -> str:
        return (
            f"TinyShakespeare({len(self.text)} characters, {len(self.vocab)} distinct; train "
            f"{len(self.train_data)}, valid {len(self.valid_data)}; from {self.path})"
        )


# ---------------------------------------------------------------------------------------------
# Word lists of Debian's dictionary packages, for classifying a word's language

#: language -> (file name under /usr/share/dict, Debian package that installs it)
WORD_LISTS: dict[str, tuple[str, str]] = {
    "english": ("american-english", "wamerican"),
    "french": ("french", "wfrench"),
    "german": ("ngerman", "wngerman"),
    "spanish": ("spanish", "wspanish"),
    "italian": ("italian", "witalian"),
}
DICT_DIRS: list[str] = ["/usr/share/dict"]


class WordLists:
    """Words of several languages with their language as label, from Debian's word lists.

    Parameters
    ----------
    languages : sequence of str
        Any of ``WORD_LISTS``: "english" (package ``wamerican``), "french" (``wfrench``),
        "german" (``wngerman``), "spanish" (``wspanish``), "italian" (``witalian``).
        The label of a word is its language's position in this sequence.
    root : folder or None
        Looked in first for the files (``american-english``, ``french``, ...), then
        ``$MININN_DATA``, then ``/usr/share/dict``.
    drop_shared : bool
        Drop the words found in more than one of the languages (``"a"``, ``"piano"``), which
        no classifier can get right (default True).
    max_per_language : int or None
        Keep at most this many words per language (a seeded random sample), to balance the
        classes or make a small data set.
    seed : int
        Seed of that sample and of `split`.

    Each file's lines are normalised: lower-cased, stripped, and kept only when made of
    letters alone (``str.isalpha``: accented letters count; possessives such as ``dog's``,
    hyphens and digits do not); duplicates within a language are removed.

    Attributes
    ----------
    words : list of str
    labels : int64 ndarray (len(words),)
    languages : list of str
    alphabet : str
        Every character used, sorted (for one-hot encodings).
    files : dict
        language -> Path read.

    >>> wl = WordLists(("english", "french"), max_per_language=1000)  # doctest: +SKIP
    >>> (train_words, train_labels), (test_words, test_labels) = wl.split(0.2)  # doctest: +SKIP
    """

    def __init__(
        self,
        languages: Any = ("english", "french", "german", "spanish", "italian"),
        root: str | os.PathLike | None = None,
        drop_shared: bool = True,
        max_per_language: int | None = None,
        seed: int = 0,
    ):
        languages = [languages] if isinstance(languages, str) else list(languages)
        unknown = [lang for lang in languages if lang not in WORD_LISTS]
        if unknown or not languages or len(set(languages)) != len(languages):
            raise ValueError(
                f"languages must be distinct names among {sorted(WORD_LISTS)}, got {languages}"
            )
        if max_per_language is not None and max_per_language < 1:
            raise ValueError(f"max_per_language must be positive, got {max_per_language}")
        self.languages, self.seed = languages, int(seed)
        self.files = {lang: self._find(lang, root) for lang in languages}
        per_language = [self._read(self.files[lang]) for lang in languages]
        if drop_shared and len(languages) > 1:
            counts: dict[str, int] = {}
            for words in per_language:
                for w in words:
                    counts[w] = counts.get(w, 0) + 1
            per_language = [[w for w in words if counts[w] == 1] for words in per_language]
        rng = np.random.default_rng(self.seed)
        words, labels = [], []
        for label, lang_words in enumerate(per_language):
            if max_per_language is not None and len(lang_words) > max_per_language:
                keep = np.sort(rng.choice(len(lang_words), max_per_language, replace=False))
                lang_words = [lang_words[i] for i in keep]
            words += lang_words
            labels += [label] * len(lang_words)
        self.words = words
        self.labels = np.asarray(labels, dtype=np.int64)
        self.alphabet = "".join(sorted(set("".join(words))))

    @staticmethod
    def _find(language: str, root: Any) -> Path:
        filename, package = WORD_LISTS[language]
        folders = [(root, "root="), (os.environ.get("MININN_DATA") or None, "$MININN_DATA")]
        folders += [(d, "system") for d in DICT_DIRS]
        searched = []
        for folder, origin in folders:
            if folder is None:
                continue
            path = Path(os.path.expanduser(os.fspath(folder))) / filename
            if path.is_file():
                return path
            searched.append(f"  {path}  ({origin}): not found")
        raise DatasetNotFoundError(
            f"the {language} word list ({filename}) was not found.\nLooked in:\n"
            + "\n".join(searched)
            + f"\nInstall Debian's package: sudo apt install {package} (it installs "
            f"/usr/share/dict/{filename}), or put the file in a folder passed as root=."
        )

    @staticmethod
    def _read(path: Path) -> list[str]:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as e:
            raise DatasetCorruptError(f"{path}: cannot read it as UTF-8 text: {e}") from e
        seen: dict[str, None] = {}
        for line in lines:
            word = line.strip().lower()
            if word.isalpha():
                seen[word] = None
        return list(seen)

    def __len__(self) -> int:
        return len(self.words)

    def __getitem__(self, index: int) -> tuple[str, int]:
        i = operator.index(index)
        return self.words[i], int(self.labels[i])

    def split(
        self, test_fraction: float = 0.2, seed: int | None = None
    ) -> tuple[tuple[list[str], np.ndarray], tuple[list[str], np.ndarray]]:
        """A seeded random split: ``((train_words, train_labels), (test_words, test_labels))``.

        Each language is split in the same proportion (stratified); the same seed gives the
        same split.
        """
        if not 0.0 < test_fraction < 1.0:
            raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
        rng = np.random.default_rng(self.seed if seed is None else seed)
        test_idx = []
        for label in range(len(self.languages)):
            members = np.flatnonzero(self.labels == label)
            rng.shuffle(members)
            test_idx.append(members[: int(round(len(members) * test_fraction))])
        is_test = np.zeros(len(self.words), dtype=bool)
        is_test[np.concatenate(test_idx)] = True
        train = np.flatnonzero(~is_test)
        test = np.flatnonzero(is_test)
        rng.shuffle(train)
        rng.shuffle(test)
        return (
            ([self.words[i] for i in train], self.labels[train]),
            ([self.words[i] for i in test], self.labels[test]),
        )

    def __repr__(self) -> str:
        counts = ", ".join(
            f"{lang} {int((self.labels == k).sum())}" for k, lang in enumerate(self.languages)
        )
        return f"WordLists({len(self.words)} words: {counts})"


__all__ += ["TinyShakespeare", "CharVocab", "WordLists", "WORD_LISTS", "TEXT_FILES"]
