"""Convolutions, LeNet-5 epochs on Fashion-MNIST and Numba start-up: mininn against PyTorch.

Same as `mininn bench cnn`; run from the repository as `python benchmarks/cnn.py`.
"""

import sys

from mininn.benchmarks import main_bench

if __name__ == "__main__":
    sys.exit(main_bench(["cnn", *sys.argv[1:]]))
