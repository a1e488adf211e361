"""Fashion-MNIST MLP epoch: mininn against PyTorch in the same run.

Same as `mininn bench mlp`; run from the repository as `python benchmarks/mlp.py`.
"""

import sys

from mininn.benchmarks import main_bench

if __name__ == "__main__":
    sys.exit(main_bench(["mlp", *sys.argv[1:]]))
