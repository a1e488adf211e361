"""Neural-network building blocks with PyTorch's names: modules, layers, losses, init.

>>> import mininn
>>> from mininn import nn
>>> model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 10))
>>> model(mininn.ones(4, 1, 28, 28)).shape
(4, 10)
"""

from mininn.nn import init, utils
from mininn.nn.layers import (
    GELU,
    AdaptiveAvgPool2d,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    BCEWithLogitsLoss,
    Conv2d,
    CrossEntropyLoss,
    Dropout,
    Flatten,
    HuberLoss,
    Identity,
    L1Loss,
    LeakyReLU,
    Linear,
    MaxPool2d,
    MSELoss,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
)
from mininn.nn.module import Module, Parameter, Sequential
from mininn.nn.rnn import GRU, LSTM, RNN, Embedding, GRUCell, LSTMCell, RNNCell

__all__ = [
    "Module",
    "Parameter",
    "Sequential",
    "Linear",
    "ReLU",
    "LeakyReLU",
    "Sigmoid",
    "Tanh",
    "GELU",
    "Softmax",
    "Dropout",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv2d",
    "MaxPool2d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "Flatten",
    "Identity",
    "MSELoss",
    "L1Loss",
    "HuberLoss",
    "CrossEntropyLoss",
    "BCEWithLogitsLoss",
    "Embedding",
    "RNN",
    "LSTM",
    "GRU",
    "RNNCell",
    "LSTMCell",
    "GRUCell",
    "init",
    "utils",
]
