"""Numba kernels on plain ndarrays (no Tensor, no autograd), each with a NumPy reference."""
