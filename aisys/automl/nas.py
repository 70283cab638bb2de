"""Neural architecture search on digits: a small CNN model space, its tabulated benchmark, a weight-sharing supernet
and a per-operator latency table."""

import csv
import itertools
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# NNI 3.0 warns, when nni.nas is imported, about every torch class newer than it (Buffer, ...): nothing NAS here uses them
warnings.filterwarnings("ignore", message=".* is found to be not a nn.Module", category=RuntimeWarning)
SHIPPED = Path(__file__).resolve().parents[2] / "datasets" / "digits_cnn_nas.csv"
OPS = ("conv3x3", "conv5x5", "sep3x3", "maxpool", "skip")
WIDTHS = (8, 16)
CELLS = 3
SPACE = {  # the model space, in NNI's format: a width for every layer, then one operator per cell
    "width": {"_type": "choice", "_value": list(WIDTHS)},
    **{f"cell{i + 1}": {"_type": "choice", "_value": list(OPS)} for i in range(CELLS)},
}
EPOCHS = 6
BATCH, LR = 64, 0.01


def architectures():
    """Every architecture of SPACE as a dict, in itertools.product order."""
    return [dict(zip(SPACE, values)) for values in itertools.product(*(spec["_value"] for spec in SPACE.values()))]


def key(arch):
    """An architecture's row key: its choices in the space's order; a KeyError names a missing choice."""
    missing = [name for name in SPACE if name not in arch]
    if missing:
        raise KeyError(f"architecture {arch} has no {missing}: give a width and an operator for every cell")
    return tuple(arch[name] for name in SPACE)


def digits_data(seed=0):
    """Digits as (x_train, y_train, x_val, y_val): (N, 1, 8, 8) floats, 1,438 training and 359 validation images."""
    from aisys.data import digits_tensors

    return digits_tensors(test_fraction=0.2, seed=seed)


@contextmanager
def one_thread():
    """Run torch on one thread (reproducible numbers, and fair to a shared machine), then restore the count."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


# --- the stand-alone networks of the space

def conv_bn(c_in, c_out, k):
    """Convolution (same padding), batch norm, ReLU."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, k, padding=k // 2), nn.BatchNorm2d(c_out), nn.ReLU())


def operator(name, width):
    """One cell's operator at a width (channels in = channels out, 8x8 stays 8x8)."""
    if name == "conv3x3":
        return conv_bn(width, width, 3)
    if name == "conv5x5":
        return conv_bn(width, width, 5)
    if name == "sep3x3":  # depthwise 3x3 then pointwise 1x1 (MobileNet's separable convolution)
        return nn.Sequential(nn.Conv2d(width, width, 3, padding=1, groups=width), nn.Conv2d(width, width, 1),
                             nn.BatchNorm2d(width), nn.ReLU())
    if name == "maxpool":
        return nn.MaxPool2d(3, stride=1, padding=1)
    if name == "skip":
        return nn.Identity()
    raise ValueError(f"unknown operator {name!r}: choose one of {OPS}")


def head(width):
    """Global average pooling and the classifier."""
    return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(width, 10))


class Net(nn.Sequential):
    """An architecture of the space as a stand-alone network: stem, one operator per cell, head."""

    def __init__(self, arch):
        w = key(arch)[0]
        super().__init__(conv_bn(1, w, 3), *(operator(arch[f"cell{i + 1}"], w) for i in range(CELLS)), head(w))


def parameters(arch):
    """The number of trainable parameters of an architecture."""
    return sum(p.numel() for p in Net(arch).parameters())


def accuracy(model, x, y):
    """Top-1 accuracy of a model in eval mode."""
    model.eval()
    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


def fit(model, data, epochs=EPOCHS, seed=0):
    """Train with Adam and a cosine learning-rate decay per step (steadier final accuracy than a constant rate, which
    left the same architecture anywhere from 0.90 to 0.99 with different seeds); the validation accuracy."""
    xt, yt, xv, yv = data
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    decay = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs * -(-len(yt) // BATCH))
    for _ in range(epochs):
        model.train()
        for idx in torch.randperm(len(yt), generator=gen).split(BATCH):
            loss = F.cross_entropy(model(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            decay.step()
    return accuracy(model, xv, yv)


def standalone(arch, epochs=EPOCHS, seed=0, data=None):
    """Train an architecture from scratch on one thread: (validation accuracy, seconds)."""
    data = data or digits_data()
    with one_thread():
        torch.manual_seed(seed)
        start = time.perf_counter()
        acc = fit(Net(arch), data, epochs, seed)
        return acc, time.perf_counter() - start


# --- the tabulated benchmark (NAS-Bench style)

@dataclass
class NASTable:
    """Every architecture of SPACE trained once from scratch: validation accuracy, parameters, training seconds."""

    archs: list
    accuracies: np.ndarray
    params: np.ndarray
    seconds: np.ndarray

    def __post_init__(self):
        self.index = {key(a): i for i, a in enumerate(self.archs)}

    @property
    def space(self):
        """The model space (NNI's format)."""
        return SPACE

    def row(self, arch):
        """The row of an architecture; a KeyError names a choice outside the space."""
        row = self.index.get(key(arch))
        if row is None:
            raise KeyError(f"architecture {arch} is not in the table (choose every value from SPACE)")
        return row

    def accuracy(self, arch):
        """Stand-alone validation accuracy after EPOCHS epochs."""
        return float(self.accuracies[self.row(arch)])

    def parameters(self, arch):
        """Trainable parameters."""
        return int(self.params[self.row(arch)])

    @property
    def best(self):
        """The best accuracy in the table (for regret)."""
        return float(self.accuracies.max())


def build(epochs=EPOCHS, progress=True):
    """Train every architecture of SPACE once (a few minutes on one core) and return the table."""
    from tqdm.auto import tqdm

    data = digits_data()
    archs = architectures()
    rows = [standalone(a, epochs, data=data) for a in tqdm(archs, disable=not progress, desc="tabulating")]
    return NASTable(archs, np.array([r[0] for r in rows]), np.array([parameters(a) for a in archs]),
                    np.array([r[1] for r in rows]))


def save(table, path=SHIPPED):
    """Write a table as CSV: the choices, then accuracy, params and train_seconds."""
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow([*SPACE, "accuracy", "params", "train_seconds"])
        for arch, acc, n, sec in zip(table.archs, table.accuracies, table.params, table.seconds):
            out.writerow([*key(arch), f"{acc:.4f}", int(n), f"{sec:.3f}"])


def load(path=SHIPPED):
    """Read a table written by save()."""
    types = {name: type(SPACE[name]["_value"][0]) for name in SPACE}
    archs, accs, params, seconds = [], [], [], []
    with open(path) as f:
        for row in csv.DictReader(f):
            archs.append({name: types[name](row[name]) for name in SPACE})
            accs.append(float(row["accuracy"]))
            params.append(int(row["params"]))
            seconds.append(float(row["train_seconds"]))
    return NASTable(archs, np.array(accs), np.array(params), np.array(seconds))


# --- the weight-sharing supernet: every operator of every cell at the largest width; a narrower path uses the
# first `width` channels of each shared weight (as slimmable networks and SPOS's channel search do)

class SlimConv(nn.Conv2d):
    """A convolution whose path uses its first `width` output channels (and as many input channels as it gets)."""

    def forward(self, x, width):
        depthwise = self.groups > 1
        weight = self.weight[:width] if depthwise else self.weight[:width, : x.shape[1]]
        return F.conv2d(x, weight, self.bias[:width], padding=self.padding, groups=width if depthwise else 1)


class SlimBN(nn.BatchNorm2d):
    """Batch norm over the first channels of its statistics and affine parameters (as many as the input has)."""

    def forward(self, x):
        c = x.shape[1]
        momentum = self.momentum
        if self.training and momentum is None:  # a cumulative average, for recalibration
            self.num_batches_tracked += 1
            momentum = 1.0 / float(self.num_batches_tracked)
        return F.batch_norm(x, self.running_mean[:c], self.running_var[:c], self.weight[:c], self.bias[:c],
                            self.training, momentum, self.eps)


class SlimOp(nn.Module):
    """One candidate operator of a cell in the supernet; forward(x, width)."""

    def __init__(self, name, width):
        super().__init__()
        self.name = name
        k = {"conv3x3": 3, "conv5x5": 5}.get(name)
        if k:
            self.conv, self.bn = SlimConv(width, width, k, padding=k // 2), SlimBN(width)
        elif name == "sep3x3":
            self.dw = SlimConv(width, width, 3, padding=1, groups=width)
            self.conv, self.bn = SlimConv(width, width, 1), SlimBN(width)
        elif name not in OPS:
            raise ValueError(f"unknown operator {name!r}: choose one of {OPS}")

    def forward(self, x, width):
        if self.name == "maxpool":
            return F.max_pool2d(x, 3, stride=1, padding=1)
        if self.name == "skip":
            return x
        if self.name == "sep3x3":
            x = self.dw(x, width)
        return F.relu(self.bn(self.conv(x, width)))


class SlimStem(nn.Module):
    """The stem (3x3 convolution from the image, batch norm, ReLU) at the first `width` channels."""

    def __init__(self, width):
        super().__init__()
        self.conv, self.bn = SlimConv(1, width, 3, padding=1), SlimBN(width)

    def forward(self, x, width):
        return F.relu(self.bn(self.conv(x, width)))


class SlimHead(nn.Linear):
    """Global average pooling and a classifier that reads as many channels as it gets."""

    def forward(self, x):
        x = x.mean((2, 3))
        return F.linear(x, self.weight[:, : x.shape[1]], self.bias)


class SuperNet(nn.Module):
    """All architectures of SPACE in one network of shared weights: `stem`, `cells[i][op]`, `head`.

    A path (an architecture) runs stem(x, width), then cells[i][arch[f"cell{i+1}"]](h, width) for each cell, then
    head(h); the lab writes that forward and the training that samples the paths.
    """

    def __init__(self, width=max(WIDTHS)):
        super().__init__()
        self.stem = SlimStem(width)
        self.cells = nn.ModuleList(nn.ModuleDict({name: SlimOp(name, width) for name in OPS}) for _ in range(CELLS))
        self.head = SlimHead(width, 10)


def recalibrate(supernet, forward, arch, x, batches=4):
    """Reset the batch-norm statistics and re-estimate them for one path on a few training batches (SPOS)."""
    bns = [m for m in supernet.modules() if isinstance(m, nn.BatchNorm2d)]
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None
    supernet.train()
    with torch.no_grad():
        for chunk in x[: batches * 128].split(128):
            forward(supernet, chunk, arch)
    for bn in bns:
        bn.momentum = 0.1
    supernet.eval()


def path_accuracy(supernet, forward, arch, data, batches=4):
    """A path's validation accuracy with the supernet's shared weights, after recalibrating batch norm."""
    xt, _, xv, yv = data
    recalibrate(supernet, forward, arch, xt, batches)
    with torch.no_grad():
        return float((forward(supernet, xv, arch).argmax(1) == yv).float().mean())


# --- hardware: per-operator latency measured on this machine

def latency_table(batch=32, repeat=30):
    """Median seconds of each part of a network at each width, batch `batch`, one thread, eval mode:
    {("stem", w): s, ("head", w): s, (op, w): s for every operator}."""
    from aisys.bench import measure

    table = {}
    with one_thread(), torch.no_grad():
        for w in WIDTHS:
            parts = {"stem": conv_bn(1, w, 3), "head": head(w), **{name: operator(name, w) for name in OPS}}
            for name, module in parts.items():
                x = torch.randn(batch, 1 if name == "stem" else w, 8, 8)
                table[name, w] = measure(module.eval(), x, warmup=5, repeat=repeat).median
    return table


def measured_latency(arch, batch=32, repeat=30):
    """Median seconds of a whole stand-alone network, measured the way latency_table measures its parts."""
    from aisys.bench import measure

    with one_thread(), torch.no_grad():
        return measure(Net(arch).eval(), torch.randn(batch, 1, 8, 8), warmup=5, repeat=repeat).median


# --- NNI's own multi-trial NAS on the same space (needs pytorch-lightning: nni.nas imports it)

_NNI_SPACE = None


def nni_space():
    """SPACE as an NNI ModelSpace: one nni.choice per decision; a sampled model holds `arch` and the Net it names."""
    global _NNI_SPACE
    if _NNI_SPACE is None:
        import nni
        from nni.nas.nn.pytorch import ModelSpace
        from nni.nas.space import current_model

        class DigitsSpace(ModelSpace):
            """The digits CNN space for NNI's strategies."""

            def __init__(self):
                super().__init__()
                for name, spec in SPACE.items():
                    self.add_mutable(nni.choice(name, spec["_value"]))
                self.arch = current_model()  # None while NNI builds the space itself
                self.net = Net(self.arch) if self.arch else None

            def forward(self, x):
                return self.net(x)

        _NNI_SPACE = DigitsSpace
    return _NNI_SPACE


def nni_search(objective, strategy, trials, directory="nni-experiments"):
    """Run an NNI NAS strategy in-process (the sequential engine) for `trials` models scored by objective(arch);
    the history [(arch, score), ...] in order. NNI's files go to `directory`."""
    import logging

    import nni
    from nni.nas.evaluator import FunctionalEvaluator
    from nni.nas.experiment import NasExperiment, NasExperimentConfig

    from aisys.automl.experiment import _use_workdir

    _use_workdir(directory)  # NNI's experiment list, too, stays out of the home directory
    history = []

    def evaluate(model):
        arch = {name: model.arch[name] for name in SPACE}
        history.append((arch, objective(arch)))
        nni.report_final_result(history[-1][1])

    config = NasExperimentConfig("sequential", "simplified", "local")
    config.max_trial_number, config.trial_concurrency = trials, 1
    config.experiment_working_directory = str(Path(directory).resolve())
    level = logging.getLogger("nni").level
    logging.getLogger("nni").setLevel(logging.ERROR)  # NNI logs every model it samples
    exp = NasExperiment(nni_space()(), FunctionalEvaluator(evaluate), strategy, config)
    try:
        exp.run()
    finally:
        exp.stop()
        logging.getLogger("nni").setLevel(level)
    return history
