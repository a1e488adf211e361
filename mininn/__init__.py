"""mininn: a small PyTorch-like deep-learning library in NumPy, built in the book."""
__version__ = "0.1.0"
