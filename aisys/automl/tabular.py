"""A tabulated HPO benchmark (HPOBench / NAS-Bench style): a digits MLP trained once per configuration, looked up; NNI tuners run on it in-process."""

import csv
import itertools
import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import numpy as np

SHIPPED = Path(__file__).resolve().parents[2] / "datasets" / "digits_mlp_hpo.csv"
SPACE = {  # the table's search space, in NNI's format
    "lr": {"_type": "choice", "_value": [0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0]},
    "hidden": {"_type": "choice", "_value": [4, 8, 16, 64]},
    "momentum": {"_type": "choice", "_value": [0.0, 0.5, 0.9, 0.99]},
    "weight_decay": {"_type": "choice", "_value": [0.0, 0.001, 0.01]},
}
N_TRAIN = 500
EPOCHS = 27  # Hyperband's classic R = 27 with eta = 3


def digits_split(seed=0):
    """Digits as (x_train, y_train, x_val, y_val): 500 training and 1,297 validation images, standardised."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    order = np.random.default_rng(seed).permutation(len(y))
    x, y = x[order] / 16.0, y[order]
    mean, std = x[:N_TRAIN].mean(0), x[:N_TRAIN].std(0) + 0.1
    x = (x - mean) / std
    return x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:]


def mlp_curve(config, epochs, seed=0, data=None, report=None):
    """Train a one-hidden-layer ReLU MLP (SGD with momentum, batch 32) in NumPy; validation accuracy after each epoch."""
    xt, yt, xv, yv = data or digits_split()
    rng = np.random.default_rng(seed)
    h, lr, wd = int(config["hidden"]), float(config["lr"]), float(config["weight_decay"])
    beta = float(config["momentum"])
    w1 = rng.normal(0, np.sqrt(2 / 64), (64, h)); b1 = np.zeros(h)
    w2 = rng.normal(0, np.sqrt(1 / h), (h, 10)); b2 = np.zeros(10)
    params = [w1, b1, w2, b2]
    moments = [np.zeros_like(p) for p in params]
    curve = []
    with np.errstate(all="ignore"):
        for _ in range(epochs):
            for idx in np.array_split(rng.permutation(len(yt)), len(yt) // 32):
                x, y = xt[idx], yt[idx]
                z = x @ w1 + b1
                a = np.maximum(z, 0)
                logits = a @ w2 + b2
                p = np.exp(logits - logits.max(1, keepdims=True))
                p /= p.sum(1, keepdims=True)
                p[np.arange(len(y)), y] -= 1
                g2 = a.T @ p / len(y)
                da = p @ w2.T
                dz = da * (z > 0)
                grads = [x.T @ dz / len(y), dz.mean(0), g2, p.mean(0)]
                for param, m, g, decay in zip(params, moments, grads, (wd, 0, wd, 0)):
                    m *= beta
                    m += g + decay * param
                    param -= lr * m
            z = xv @ w1 + b1
            a = np.maximum(z, 0)
            acc = float(np.mean(np.argmax(a @ w2 + b2, 1) == yv))  # a diverged net (NaN) scores as chance or worse
            curve.append(acc)
            if report:
                report(acc)
    return curve


def key(config):
    """A configuration's row key: its values in the space's order."""
    return tuple(config[name] for name in SPACE)


@dataclass
class HPOTable:
    """Every configuration of SPACE with its validation-accuracy curve (epochs 1..EPOCHS) and seconds per epoch."""

    configs: list
    curves: np.ndarray  # (configurations, EPOCHS)
    seconds: np.ndarray  # training seconds per epoch, measured when the table was built

    def __post_init__(self):
        self.index = {key(c): i for i, c in enumerate(self.configs)}

    @property
    def space(self):
        """The table's search space (NNI's format)."""
        return SPACE

    def accuracy(self, config, epochs=EPOCHS):
        """Validation accuracy of a configuration after training `epochs` epochs (1..EPOCHS)."""
        if not 1 <= epochs <= EPOCHS:
            raise ValueError(f"epochs must be 1..{EPOCHS}, got {epochs}")
        return float(self.curves[self.row(config), int(epochs) - 1])

    def curve(self, config, epochs=EPOCHS):
        """The accuracies after epochs 1..epochs."""
        return [float(a) for a in self.curves[self.row(config), :epochs]]

    def row(self, config):
        """The row of a configuration; a KeyError names a value outside the table."""
        try:
            return self.index[key(config)]
        except KeyError:
            raise KeyError(f"configuration {config} is not in the table (choose every value from SPACE)") from None

    @property
    def best(self):
        """The best final accuracy in the table (for regret)."""
        return float(self.curves[:, -1].max())


def run_tuner(tuner, objective, space, trials, concurrency=2, seed=0):
    """Drive an NNI Tuner in this process as NNI's dispatcher would, `concurrency` trials in flight; the history.

    Returns [(config, score), ...] in the order results came back. NNI's Evolution and Anneal tuners seed
    themselves from the operating system; here every generator they make, and Python's `random`, is seeded from
    `seed`, so a run repeats.
    """
    seeds = np.random.SeedSequence(seed)

    class Seeded(np.random.RandomState):
        def __init__(self, s=None):
            super().__init__(int(seeds.spawn(1)[0].generate_state(1)[0]) if s is None else s)

    random.seed(seed)
    log = logging.getLogger("nni")
    level = log.level
    log.setLevel(logging.WARNING)  # NNI's tuners log every seed and every deduplication at INFO
    try:
        with mock.patch.object(np.random, "RandomState", Seeded):
            tuner.update_search_space(space)
        return _drive(tuner, objective, trials, concurrency)
    finally:
        log.setLevel(level)


def _drive(tuner, objective, trials, concurrency):
    """NNI's dispatcher loop, in process: keep `concurrency` proposals in flight, report each result in order."""
    import nni

    history, running, next_id = [], [], 0
    while len(history) < trials:
        while len(running) < concurrency and next_id < trials:
            try:
                running.append((next_id, tuner.generate_parameters(next_id)))
            except nni.NoMoreTrialError:  # Evolution, when more trials run than its population holds
                break
            next_id += 1
        if not running:
            raise RuntimeError(f"{type(tuner).__name__} proposed nothing with no trial running: it cannot go on")
        parameter_id, config = running.pop(0)
        score = objective(config)
        tuner.receive_trial_result(parameter_id, config, score)
        tuner.trial_end(parameter_id, True)
        history.append((config, score))
    return history


def build(epochs=EPOCHS, progress=True):
    """Train every configuration of SPACE once (about 30 s on 2 cores) and return the table."""
    from tqdm.auto import tqdm

    data = digits_split()
    names = list(SPACE)
    configs = [dict(zip(names, values)) for values in itertools.product(*(SPACE[n]["_value"] for n in names))]
    curves, seconds = [], []
    for config in tqdm(configs, disable=not progress, desc="tabulating"):
        start = time.perf_counter()
        curves.append(mlp_curve(config, epochs, data=data))
        seconds.append((time.perf_counter() - start) / epochs)
    return HPOTable(configs, np.array(curves), np.array(seconds))


def save(table, path=SHIPPED):
    """Write a table as CSV: the configuration, then acc_1..acc_EPOCHS and seconds_per_epoch."""
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow([*SPACE, *(f"acc_{e + 1}" for e in range(table.curves.shape[1])), "seconds_per_epoch"])
        for config, curve, sec in zip(table.configs, table.curves, table.seconds):
            out.writerow([*key(config), *(f"{a:.4f}" for a in curve), f"{sec:.5f}"])


def load(path=SHIPPED):
    """Read a table written by save()."""
    types = {name: type(SPACE[name]["_value"][0]) for name in SPACE}
    configs, curves, seconds = [], [], []
    with open(path) as f:
        for row in csv.DictReader(f):
            configs.append({name: types[name](row[name]) for name in SPACE})
            curves.append([float(row[f"acc_{e + 1}"]) for e in range(EPOCHS)])
            seconds.append(float(row["seconds_per_epoch"]))
    return HPOTable(configs, np.array(curves), np.array(seconds))
