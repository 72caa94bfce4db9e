"""A small model to size: ``rigbench size docs/examples/tiny_model.py --dataset-size 100000 --epochs 90``.

A ResNet-18-style network for Tiny ImageNet (64x64 colour images, 200 classes, 100,000 training images). The factory
returns the model, an example batch (images, labels) whose first dimension is the batch, and the loss function;
without a fourth item rigbench uses ``--optimizer`` (Adam by default). Build everything on the CPU.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
        self.conv2, self.bn2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
        self.short = nn.Identity()
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)), inplace=True)
        return F.relu(self.bn2(self.conv2(y)) + self.short(x), inplace=True)


class TinyResNet(nn.Module):
    """Stem 3x3 conv, then four stages of two basic blocks (64, 128, 256, 512 channels), pool, linear."""

    def __init__(self, classes: int = 200):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True))
        layers, cin = [], 64
        for i, c in enumerate((64, 128, 256, 512)):
            layers += [Block(cin, c, 1 if i == 0 else 2), Block(c, c, 1)]
            cin = c
        self.layers = nn.Sequential(*layers)
        self.head = nn.Linear(512, classes)

    def forward(self, x):
        return self.head(torch.flatten(F.adaptive_avg_pool2d(self.layers(self.stem(x)), 1), 1))


def build():
    images = torch.randn(256, 3, 64, 64)
    labels = torch.randint(0, 200, (256,))
    return TinyResNet(), (images, labels), F.cross_entropy
