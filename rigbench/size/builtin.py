"""The built-in workloads as real torch models, built from the same shapes ``profiles/workloads.toml`` gives
``rigbench.model`` (so the FLOPs ``size`` counts with torch and the demand ``compare`` counts by hand describe one
network), and the suite's own ``train_cnn`` / ``train_transformer`` from ``kernels/train.py``.

Every builder returns ``(model, batch, loss_fn, optimizer_or_None)``, the contract of a user's factory
(``rigbench.size.load``). torch is imported inside the builders: importing this module stays cheap.
"""

from __future__ import annotations

from typing import Any

from rigbench import model as perf_model
from rigbench import scaling
from rigbench.errors import UserError
from rigbench.kernels import train as suite

BUILTINS = ("resnet50", "bert-base", "train_cnn", "train_transformer")
# ResNet-50 and BERT-base batches per card: the reference data-parallel batch rigbench.scaling cites
# (profiles/interconnects.toml [workloads]); the suite's models: the batch its CUDA runs use (kernels/train.py BATCH).
_SUITE_KIND = {"train_cnn": "cnn", "train_transformer": "transformer"}


def default_batch(name: str) -> int:
    if name in _SUITE_KIND:
        return suite.BATCH[(_SUITE_KIND[name], False, "cuda")]
    batch, _ = scaling.workload_batch(name)
    return int(batch)


def default_seq(name: str) -> int | None:
    spec = perf_model.load_workloads_profile()["workloads"][name]
    return spec.get("seq") if spec["kind"] in ("transformer", "gpt") else None


def build(name: str, batch: int, seq: int | None) -> tuple[Any, Any, Any, None]:
    """(model, example batch of ``batch`` samples, loss_fn, None) for a built-in workload."""
    spec = perf_model.load_workloads_profile()["workloads"][name]
    if seq is not None and default_seq(name) is None:
        raise UserError(f"--seq: {name} takes images, not sequences; drop --seq")
    if name == "resnet50":
        return _resnet(spec, batch)
    if name == "bert-base":
        return _bert(spec, batch, seq or spec["seq"])
    if name == "train_cnn":
        wl = suite.build_workload("cnn", quick=False, device="cpu", batch_size=batch)
        return wl.model, wl.sample_batch(batch), wl.loss, None
    wl = suite.build_workload("transformer", quick=False, device="cpu", batch_size=batch)
    limit = wl.config["seq"]
    if seq is not None and not 1 <= seq <= limit:
        raise UserError(f"--seq {seq}: train_transformer has {limit} learned positions; give 1 to {limit}")
    x, y = wl.sample_batch(batch)
    if seq is not None:
        x, y = x[:, :seq].contiguous(), y[:, :seq].contiguous()
    return wl.model, (x, y), wl.loss, None


def _resnet(spec: dict, batch: int):
    """ResNet v1.5 (stride on the 3x3 conv of a bottleneck) with the stem, blocks and widths of ``spec``."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class Bottleneck(nn.Module):
        def __init__(self, cin: int, width: int, stride: int):
            super().__init__()
            cout = width * 4
            self.conv1, self.bn1 = nn.Conv2d(cin, width, 1, bias=False), nn.BatchNorm2d(width)
            self.conv2, self.bn2 = nn.Conv2d(width, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width)
            self.conv3, self.bn3 = nn.Conv2d(width, cout, 1, bias=False), nn.BatchNorm2d(cout)
            self.down = None
            if stride != 1 or cin != cout:
                self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            y = F.relu(self.bn1(self.conv1(x)), inplace=True)
            y = F.relu(self.bn2(self.conv2(y)), inplace=True)
            y = self.bn3(self.conv3(y))
            return F.relu(y + (x if self.down is None else self.down(x)), inplace=True)

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
                                      nn.MaxPool2d(3, 2, 1))
            layers, cin = [], 64
            widths = spec.get("widths") or [64 * 2**i for i in range(len(spec["blocks"]))]
            for stage, n in enumerate(spec["blocks"]):
                for b in range(n):
                    layers.append(Bottleneck(cin, widths[stage], 2 if (b == 0 and stage > 0) else 1))
                    cin = widths[stage] * 4
            self.layers = nn.Sequential(*layers)
            self.fc = nn.Linear(cin, spec["classes"])

        def forward(self, x):
            return self.fc(torch.flatten(F.adaptive_avg_pool2d(self.layers(self.stem(x)), 1), 1))

    if not (spec["kind"] == "resnet" and spec["bottleneck"] and spec.get("stem", "imagenet") == "imagenet"):
        raise ValueError("this builder makes the ImageNet bottleneck ResNet only")
    net = ResNet()
    x = torch.randn(batch, 3, spec["image"], spec["image"])
    y = torch.randint(0, spec["classes"], (batch,))
    return net, (x, y), F.cross_entropy, None


def _bert(spec: dict, batch: int, seq: int):
    """BERT pre-training: embeddings, post-norm encoder layers with explicit softmax attention (the element-wise
    tensors ``rigbench.model`` counts), pooler + next-sentence head, and the masked-LM head on ``masked_per_sequence``
    positions with its decoder tied to the word embeddings (shared weights)."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    h, heads, ffn, vocab = spec["hidden"], spec["heads"], spec["ffn"], spec["vocab"]
    if seq > spec["max_position"]:
        raise UserError(f"--seq {seq}: bert-base has {spec['max_position']} positions; give at most that")
    masked = min(spec["masked_per_sequence"], seq)

    class Layer(nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv, self.out = nn.Linear(h, 3 * h), nn.Linear(h, h)
            self.ln1, self.ln2 = nn.LayerNorm(h), nn.LayerNorm(h)
            self.fc1, self.fc2 = nn.Linear(h, ffn), nn.Linear(ffn, h)
            self.drop = nn.Dropout(0.1)

        def forward(self, x):
            b, s, _ = x.shape
            q, k, v = (t.view(b, s, heads, h // heads).transpose(1, 2) for t in self.qkv(x).split(h, dim=2))
            p = self.drop(torch.softmax(q @ k.transpose(-1, -2) / (h // heads) ** 0.5, dim=-1))
            a = (p @ v).transpose(1, 2).reshape(b, s, h)
            x = self.ln1(x + self.drop(self.out(a)))
            return self.ln2(x + self.drop(self.fc2(F.gelu(self.fc1(x)))))

    class Bert(nn.Module):
        def __init__(self):
            super().__init__()
            self.word, self.pos = nn.Embedding(vocab, h), nn.Embedding(spec["max_position"], h)
            self.segment = nn.Embedding(2, h)
            self.ln, self.drop = nn.LayerNorm(h), nn.Dropout(0.1)
            self.layers = nn.Sequential(*[Layer() for _ in range(spec["layers"])])
            self.pooler, self.nsp = nn.Linear(h, h), nn.Linear(h, 2)
            self.transform, self.ln_mlm = nn.Linear(h, h), nn.LayerNorm(h)
            self.mlm_bias = nn.Parameter(torch.zeros(vocab))

        def forward(self, tokens, masked_at):
            pos = torch.arange(tokens.shape[1])
            x = self.drop(self.ln(self.word(tokens) + self.pos(pos) + self.segment(torch.zeros_like(tokens))))
            x = self.layers(x)
            nsp = self.nsp(torch.tanh(self.pooler(x[:, 0])))
            picked = torch.gather(x, 1, masked_at.unsqueeze(-1).expand(-1, -1, h))
            mlm = F.linear(self.ln_mlm(F.gelu(self.transform(picked))), self.word.weight, self.mlm_bias)
            return mlm, nsp

    def loss(outputs, targets):
        mlm, nsp = outputs
        labels, is_next = targets
        return F.cross_entropy(mlm.reshape(-1, vocab), labels.reshape(-1)) + F.cross_entropy(nsp, is_next)

    net = Bert()
    tokens = torch.randint(0, vocab, (batch, seq))
    masked_at = torch.stack([torch.randperm(seq)[:masked] for _ in range(batch)])
    labels = torch.randint(0, vocab, (batch, masked))
    is_next = torch.randint(0, 2, (batch,))
    return net, ((tokens, masked_at), (labels, is_next)), loss, None
