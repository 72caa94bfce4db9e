"""A small model to size with ``rigbench size docs/examples/tiny_model.py``.

The factory returns the model, an example batch (inputs, targets) whose first dimension is the batch, and the loss
function; without a fourth item rigbench uses ``--optimizer`` (Adam by default). Build everything on the CPU.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F


class TinyNet(nn.Module):
    """A VGG-style CNN for 32x32 colour images and 10 classes (about 0.6 M parameters)."""

    def __init__(self, classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
            nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128), nn.ReLU(inplace=True), nn.MaxPool2d(2),
            nn.Conv2d(128, 256, 3, padding=1), nn.BatchNorm2d(256), nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1),
        )
        self.head = nn.Linear(256, classes)

    def forward(self, x):
        return self.head(torch.flatten(self.features(x), 1))


def build():
    images = torch.randn(128, 3, 32, 32)
    labels = torch.randint(0, 10, (128,))
    return TinyNet(), (images, labels), F.cross_entropy
