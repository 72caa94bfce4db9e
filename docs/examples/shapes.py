"""Five model shapes for checking ``rigbench size``'s memory prediction against real training steps
(``tests/benchmarks/size_memory.py``, ``tests/test_size_memory.py``). Each factory returns
``(model, example_batch, loss_fn)``; the batch's first dimension is the batch.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


def cnn(batch: int = 32):
    """A ResNet-style CNN: convolutions, batch norm, in-place ReLU, a residual add, pooling."""

    class Block(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.c1, self.b1 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
            self.c2, self.b2 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)

        def forward(self, x):
            y = F.relu(self.b1(self.c1(x)), inplace=True)
            return F.relu(x + self.b2(self.c2(y)), inplace=True)

    net = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
                        Block(32), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), Block(64),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))
    return net, (torch.randn(batch, 3, 32, 32), torch.randint(0, 10, (batch,))), F.cross_entropy


def encoder(batch: int = 16, seq_len: int = 64):
    """A transformer encoder (torch.nn.TransformerEncoder, 2 layers, d_model 128) with a token embedding and a
    classification head on the mean of the sequence."""

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(1000, 128)
            layer = nn.TransformerEncoderLayer(128, 4, 512, dropout=0.1, batch_first=True)
            self.enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
            self.head = nn.Linear(128, 5)

        def forward(self, tokens):
            return self.head(self.enc(self.emb(tokens)).mean(dim=1))

    return Net(), (torch.randint(0, 1000, (batch, seq_len)), torch.randint(0, 5, (batch,))), F.cross_entropy


def mlp(batch: int = 64):
    """A multilayer perceptron with dropout."""
    net = nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Dropout(0.2), nn.Linear(1024, 1024), nn.GELU(),
                        nn.Linear(1024, 10))
    return net, (torch.randn(batch, 784), torch.randint(0, 10, (batch,))), F.cross_entropy


def lstm(batch: int = 32, seq_len: int = 50):
    """A 2-layer LSTM over embedded tokens, predicting the next token at every step."""

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(2000, 128)
            self.rnn = nn.LSTM(128, 256, num_layers=2, batch_first=True)
            self.out = nn.Linear(256, 2000)

        def forward(self, tokens):
            return self.out(self.rnn(self.emb(tokens))[0])

    def loss(logits, targets):
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))

    tokens = torch.randint(0, 2000, (batch, seq_len))
    return Net(), (tokens, torch.randint(0, 2000, (batch, seq_len))), loss


def tied(batch: int = 16, seq_len: int = 64):
    """A language model whose output layer shares the embedding's weight (weight tying), with one block applied
    twice (the same parameters used at two depths)."""

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(4000, 192)
            self.block = nn.Sequential(nn.LayerNorm(192), nn.Linear(192, 768), nn.GELU(), nn.Linear(768, 192))
            self.norm = nn.LayerNorm(192)

        def forward(self, tokens):
            x = self.emb(tokens)
            x = x + self.block(x)
            x = x + self.block(x)             # the same block again: shared weights
            return F.linear(self.norm(x), self.emb.weight)   # tied output layer

    def loss(logits, targets):
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))

    tokens = torch.randint(0, 4000, (batch, seq_len))
    return Net(), (tokens, torch.randint(0, 4000, (batch, seq_len))), loss
