"""A training loop with a tqdm progress bar and a per-epoch metric history."""

import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm


@dataclass
class History:
    """Per-epoch metrics of one training run (losses, accuracies, seconds), plus per-step losses."""

    train_loss: list = field(default_factory=list)
    train_acc: list = field(default_factory=list)
    test_loss: list = field(default_factory=list)
    test_acc: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    step_loss: list = field(default_factory=list)

    def plot(self):
        """Loss and accuracy curves side by side."""
        import matplotlib.pyplot as plt

        from aisys.plot import curves

        fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.4))
        curves({"train": self.train_loss, "test": self.test_loss}, ylabel="loss", title="Loss", ax=a)
        curves({"train": self.train_acc, "test": self.test_acc}, ylabel="accuracy", title="Accuracy", ax=b)
        fig.tight_layout()
        return fig


def model_device(model):
    """The device of a model's first parameter (CPU for a model without parameters)."""
    return next(model.parameters(), torch.empty(0)).device


@torch.no_grad()
def evaluate(model, loader, loss_fn=F.cross_entropy):
    """Mean loss and accuracy of a classifier over a loader."""
    model.eval()
    device = model_device(model)
    total, loss_sum, correct = 0, 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        out = model(x)
        loss_sum += loss_fn(out, y, reduction="sum").item()
        correct += (out.argmax(1) == y).sum().item()
        total += len(y)
    if total == 0:
        raise ValueError("evaluate() got an empty loader: check the data set and the batch size")
    return loss_sum / total, correct / total


def train_step(model, opt, x, y, loss_fn=F.cross_entropy):
    """One optimisation step on a batch; returns (loss, logits)."""
    opt.zero_grad()
    out = model(x)
    loss = loss_fn(out, y)
    loss.backward()
    opt.step()
    return loss.item(), out


def fit(model, train_loader, test_loader=None, epochs=5, lr=1e-3, optimizer=None, loss_fn=F.cross_entropy,
        progress=True):
    """Train a classifier for some epochs (Adam by default) and return its History."""
    opt = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    device = model_device(model)
    hist = History()
    bar = tqdm(total=epochs * len(train_loader), disable=not progress, desc="training", unit="step")
    for epoch in range(epochs):
        model.train()
        t0, seen, loss_sum, correct = time.perf_counter(), 0, 0.0, 0
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            loss, out = train_step(model, opt, x, y, loss_fn)
            hist.step_loss.append(loss)
            loss_sum += loss * len(y)
            correct += (out.argmax(1) == y).sum().item()
            seen += len(y)
            bar.update()
        hist.seconds.append(time.perf_counter() - t0)
        hist.train_loss.append(loss_sum / seen)
        hist.train_acc.append(correct / seen)
        if test_loader is not None:
            tl, ta = evaluate(model, test_loader, loss_fn)
            hist.test_loss.append(tl)
            hist.test_acc.append(ta)
        bar.set_postfix(epoch=epoch + 1, loss=f"{hist.train_loss[-1]:.3f}",
                        test_acc=f"{hist.test_acc[-1]:.3f}" if hist.test_acc else "-")
    bar.close()
    return hist
