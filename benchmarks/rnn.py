"""Character LSTM and GRU training steps on Tiny Shakespeare: mininn against PyTorch.

Same as `mininn bench rnn`; run from the repository as `python benchmarks/rnn.py
[--steps 60] [--minutes 3]`.
"""

import sys

from mininn.benchmarks import main_bench

if __name__ == "__main__":
    sys.exit(main_bench(["rnn", *sys.argv[1:]]))
