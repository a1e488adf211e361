"""Graded exercises of the chapter on sequence data: a vocabulary with a minimum frequency and
an unknown token, encoding text with a given vocabulary, sequential partitioning of a corpus
into (input, target) batches for truncated backpropagation through time, and sliding windows
over a time series.

Every reference is computed here by explicit loops that follow the definitions in the
exercise notebook (one token, one batch entry, one window at a time), never by `mininn` and
never by the student's code.

Token ids and batches are integers: they are compared exactly (tolerance 0), since there is
exactly one right answer. Windows only copy values of the series, so float64 and float32
windows are also compared exactly. Edge cases: an empty token list, a minimum frequency no
token reaches, exact ties in the counts (broken by first appearance), the literal token
``<unk>`` in the text, words missing from the vocabulary, a corpus too short for one batch, a
series shorter than one window.
"""

from __future__ import annotations

import numpy as np

from mininn.grading.spec import Case, Exercise, case_rng

EXACT = 0.0
UNK = "<unk>"

_WORDS = (
    "the cat sat on the mat and the dog sat on the log while a bird sang to the cat "
    "and the dog in the warm sun of a quiet afternoon"
).split()


def _random_tokens(rng: np.random.Generator, n: int, pool: list[str]) -> list[str]:
    # Zipf-like: low indices are drawn more often, so counts differ and some tie.
    weights = 1.0 / np.arange(1, len(pool) + 1)
    picks = rng.choice(len(pool), size=n, p=weights / weights.sum())
    return [pool[int(i)] for i in picks]


# ---------------------------------------------------------------------------------------------
# 1. A vocabulary: <unk> first, then tokens by decreasing count, ties by first appearance
# ---------------------------------------------------------------------------------------------


def _vocab_reference(tokens: list[str], min_freq: int) -> list[str]:
    counts: dict[str, int] = {}
    first: dict[str, int] = {}
    for position, token in enumerate(tokens):
        if token == UNK:
            continue
        counts[token] = counts.get(token, 0) + 1
        if token not in first:
            first[token] = position
    kept = [t for t in counts if counts[t] >= min_freq]
    # Selection sort by (-count, first position), written out to follow the definition.
    ordered: list[str] = []
    while kept:
        best = kept[0]
        for t in kept[1:]:
            if (counts[t], -first[t]) > (counts[best], -first[best]):
                best = t
        ordered.append(best)
        kept.remove(best)
    return [UNK, *ordered]


def _ids_reference(tokens: list[str], vocab: list[str]) -> np.ndarray:
    ids = np.zeros(len(tokens), dtype=np.int64)
    for i, token in enumerate(tokens):
        for j, entry in enumerate(vocab):
            if entry == token:
                ids[i] = j
                break
    return ids


def _vocab_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 1)

    def case(name, tokens, min_freq, hidden=False):
        vocab = _vocab_reference(tokens, min_freq)
        expected = (_ids_reference(tokens, vocab), len(vocab))
        return Case(name, (list(tokens), min_freq), expected, EXACT, hidden)

    pool = [f"w{i}" for i in range(40)]
    chars = list("to be, or not to be, that is the question")
    return [
        case("a short sentence, min_freq=1", _WORDS, 1),
        case("a short sentence, min_freq=2: rare words become <unk>", _WORDS, 2),
        case("characters of a line, min_freq=1", chars, 1),
        case("ties: a, b, c appear twice each, in the order c, a, b", list("cacbab"), 1),
        case("min_freq larger than every count: everything is <unk>", _WORDS, 100),
        case("the literal token <unk> in the text maps to 0", ["x", UNK, "y", "x", UNK], 1),
        case("an empty list of tokens", [], 1),
        case("one token", ["hello"], 1),
        case("400 random words, min_freq=3", _random_tokens(rng, 400, pool), 3, hidden=True),
        case("1000 random words, min_freq=1", _random_tokens(rng, 1000, pool), 1, hidden=True),
    ]


# ---------------------------------------------------------------------------------------------
# 2. Encoding with a given vocabulary: unknown tokens become 0
# ---------------------------------------------------------------------------------------------


def _encode_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 2)

    def case(name, tokens, vocab, hidden=False):
        return Case(name, (list(tokens), list(vocab)), _ids_reference(tokens, vocab), EXACT, hidden)

    vocab = _vocab_reference(_WORDS, 2)
    pool = [f"w{i}" for i in range(30)]
    big_vocab = [UNK] + [f"w{i}" for i in range(0, 30, 2)]
    return [
        case("words of the training text", _WORDS[:12], vocab),
        case("new words are unknown (id 0)", "the cow sat on the roof".split(), vocab),
        case("case matters: 'The' is not 'the'", "The cat and the Dog".split(), vocab),
        case("every word unknown", "zebra yak xylophone".split(), vocab),
        case("an empty text", [], vocab),
        case("a vocabulary with only <unk>", ["a", "b"], [UNK]),
        case("the literal token <unk>", [UNK, "the", UNK], vocab),
        case("300 random words, half unknown", _random_tokens(rng, 300, pool), big_vocab, True),
    ]


# ---------------------------------------------------------------------------------------------
# 3. Sequential partitioning into (X, Y) batches
# ---------------------------------------------------------------------------------------------


def _sequential_reference(corpus: np.ndarray, batch_size: int, num_steps: int):
    row_len = max(0, (len(corpus) - 1) // batch_size)
    num_batches = row_len // num_steps
    X = np.zeros((num_batches, batch_size, num_steps), dtype=np.int64)
    Y = np.zeros((num_batches, batch_size, num_steps), dtype=np.int64)
    for i in range(num_batches):
        for r in range(batch_size):
            for s in range(num_steps):
                position = r * row_len + i * num_steps + s
                X[i, r, s] = corpus[position]
                Y[i, r, s] = corpus[position + 1]
    return X, Y


def _sequential_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 3)

    def case(name, corpus, batch_size, num_steps, hidden=False):
        corpus = np.asarray(corpus, dtype=np.int64)
        expected = _sequential_reference(corpus, batch_size, num_steps)
        return Case(name, (corpus, batch_size, num_steps), expected, EXACT, hidden)

    return [
        case("corpus 0..24, batch_size=2, num_steps=3", np.arange(25), 2, 3),
        case("corpus 0..34, batch_size=3, num_steps=5", np.arange(35), 3, 5),
        case("the length fits exactly: 0..12, batch 3, steps 2", np.arange(13), 3, 2),
        case("one row: batch_size=1", rng.integers(0, 10, 30), 1, 4),
        case("one step per batch: num_steps=1", rng.integers(0, 10, 21), 4, 1),
        case("too short for one batch", np.arange(6), 2, 4),
        case("an empty corpus", np.zeros(0, dtype=np.int64), 2, 3),
        case("1000 random ids, batch 8, steps 16", rng.integers(0, 65, 1000), 8, 16, True),
        case("777 random ids, batch 5, steps 7", rng.integers(0, 65, 777), 5, 7, True),
    ]


# ---------------------------------------------------------------------------------------------
# 4. Sliding windows over a time series
# ---------------------------------------------------------------------------------------------


def _windows_reference(series: np.ndarray, window: int, horizon: int):
    n = max(0, len(series) - window - horizon + 1)
    X = np.zeros((n, window), dtype=series.dtype)
    y = np.zeros(n, dtype=series.dtype)
    for i in range(n):
        for j in range(window):
            X[i, j] = series[i + j]
        y[i] = series[i + window + horizon - 1]
    return X, y


def _windows_cases(seed: int) -> list[Case]:
    rng = case_rng(seed, 4)

    def case(name, series, window, horizon, hidden=False):
        expected = _windows_reference(series, window, horizon)
        return Case(name, (series, window, horizon), expected, EXACT, hidden)

    walk = np.cumsum(rng.standard_normal(50)) + 100.0
    return [
        case("0..9, window 3, horizon 1", np.arange(10, dtype=np.float64), 3, 1),
        case("a random walk, window 5, horizon 1", walk, 5, 1),
        case("horizon 3: predict three steps ahead", walk[:20], 4, 3),
        case("window 1", walk[:8], 1, 1),
        case("exactly one window fits", walk[:6], 5, 1),
        case("the series is shorter than one window", walk[:4], 5, 1),
        case("float32 values", walk[:30].astype(np.float32), 6, 2),
        case(
            "a long series, window 20, horizon 5",
            np.cumsum(rng.standard_normal(500)),
            20,
            5,
            hidden=True,
        ),
    ]


EXERCISES = [
    Exercise(
        id="sequences.build_vocab",
        function="build_vocab",
        points=3,
        chapter="sequences",
        title="a vocabulary with <unk> and a minimum frequency",
        hint="count with a dict; sort by (-count, first position); <unk> is id 0",
        make_cases=_vocab_cases,
    ),
    Exercise(
        id="sequences.encode",
        function="encode",
        points=1,
        chapter="sequences",
        title="encoding tokens, unknown ones as 0",
        hint="make a dict token -> id from the list, then .get(token, 0) for each token",
        make_cases=_encode_cases,
    ),
    Exercise(
        id="sequences.sequential_batches",
        function="sequential_batches",
        points=3,
        chapter="sequences",
        title="sequential partitioning into (X, Y) batches",
        hint="reshape corpus[:B*m] and corpus[1:B*m+1] into (B, m) rows, then cut columns",
        make_cases=_sequential_cases,
    ),
    Exercise(
        id="sequences.sliding_windows",
        function="sliding_windows",
        points=2,
        chapter="sequences",
        title="sliding windows over a time series",
        hint="window i is series[i:i+window], its target series[i+window+horizon-1]",
        make_cases=_windows_cases,
    ),
]
