"""A model repository on disk (<repo>/<model>/config.json, <repo>/<model>/<version>/model.onnx or model.pt2) and its backends."""

import json
import os
import warnings
from pathlib import Path

import numpy as np
import torch

from aisys.serving.tensors import DATATYPES, InferError

FILES = {"onnxruntime": "model.onnx", "pytorch": "model.pt2"}
PLATFORMS = {"onnxruntime": "onnxruntime_onnx", "pytorch": "pytorch_exported_program"}


def ort_session(path, threads=1):
    """An ONNX Runtime session on the CPU (CUDA when there is one) that does not spin: it shares cores with torch."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in ort.get_available_providers()]
    return ort.InferenceSession(str(path), options, providers=providers)


class OnnxBackend:
    """Runs an ONNX model with ONNX Runtime."""

    def __init__(self, path, threads=1):
        self.session = ort_session(path, threads)

    def run(self, inputs):
        names = [o.name for o in self.session.get_outputs()]
        return dict(zip(names, self.session.run(names, inputs)))


class TorchBackend:
    """Runs a torch module (an exported program's module, or any nn.Module) without autograd."""

    def __init__(self, module, input_names, output_names):
        self.module, self.inputs, self.outputs = module, list(input_names), list(output_names)

    @torch.no_grad()
    def run(self, inputs):
        out = self.module(*(torch.from_numpy(np.ascontiguousarray(inputs[n])) for n in self.inputs))
        out = out if isinstance(out, (tuple, list)) else (out,)
        return {n: t.numpy() for n, t in zip(self.outputs, out)}


def export(module, example, path, backend="onnxruntime", input_name="input", output_name="output"):
    """Save a module with a dynamic batch dimension as ONNX (legacy exporter: no onnxscript) or an exported program."""
    module = module.eval()
    if backend == "onnxruntime":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(module, (example,), str(path), dynamo=False, input_names=[input_name],
                              output_names=[output_name], dynamic_axes={input_name: {0: "batch"}, output_name: {0: "batch"}})
    elif backend == "pytorch":
        batch = torch.export.Dim("batch", min=1, max=4096)
        program = torch.export.export(module, (example,), dynamic_shapes=({0: batch},))
        torch.export.save(program, str(path))
    else:
        raise ValueError(f"unknown backend {backend!r}: use one of {sorted(FILES)}")


def save_version(root, name, version, module, example, backend="onnxruntime", max_batch_size=64, batching=None, sla_ms=None):
    """Write one version of a model into a repository (and its config.json, with the model's SLA if given); returns the
    version's folder."""
    folder = Path(root) / name / str(int(version))
    folder.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        out = module.eval()(example)
    export(module, example, folder / FILES[backend], backend)
    dtype = lambda t: next(k for k, v in DATATYPES.items() if np.dtype(v) == t.numpy().dtype)
    config = {"backend": backend, "max_batch_size": max_batch_size,
              "inputs": [{"name": "input", "datatype": dtype(example), "shape": [-1, *example.shape[1:]]}],
              "outputs": [{"name": "output", "datatype": dtype(out), "shape": [-1, *out.shape[1:]]}],
              "batching": batching or {"policy": "dynamic", "max_batch_size": 32, "max_queue_delay_ms": 2}}
    path = Path(root) / name / "config.json"
    if path.exists():
        config = {**config, **json.loads(path.read_text()), "backend": backend}
    if sla_ms is not None:
        config["sla_ms"] = sla_ms
    path.write_text(json.dumps(config, indent=1))
    return folder


class Model:
    """One model of a repository: its config, its loaded versions and the version it serves by default."""

    def __init__(self, folder):
        self.folder, self.name = Path(folder), Path(folder).name
        self.config = json.loads((self.folder / "config.json").read_text())
        self.backend = self.config.get("backend", "onnxruntime")
        if self.backend not in FILES:
            raise ValueError(f"{self.folder / 'config.json'}: backend {self.backend!r}, use one of {sorted(FILES)}")
        self.versions, self.history, self.canary, self.credit = {}, [], None, 0.0
        self.load()
        self.served = self.config.get("version", max(self.versions))

    def load(self):
        """Load every version folder not loaded yet (a new version appears while serving)."""
        found = [p for p in self.folder.iterdir() if p.name.isdigit() and (p / FILES[self.backend]).exists()]
        for p in sorted(found, key=lambda p: int(p.name)):
            if int(p.name) not in self.versions:
                self.versions[int(p.name)] = self._open(p / FILES[self.backend])
        if not self.versions:
            raise ValueError(f"{self.folder}: no version folder with a {FILES[self.backend]}")

    def _open(self, path):
        if self.backend == "onnxruntime":
            return OnnxBackend(path)
        names = lambda key: [t["name"] for t in self.config[key]]
        return TorchBackend(torch.export.load(str(path)).module(), names("inputs"), names("outputs"))

    def promote(self, version):
        """Serve this version by default from now on (the previous one is remembered for rollback); ends a canary."""
        self.backend_of(version)
        self.canary = None
        if version != self.served:
            self.history.append(self.served)
            self.served = version

    def rollback(self):
        """End a canary (all traffic back to the served version), or else serve the previously served version again."""
        if self.canary is not None:
            self.canary = None
            return
        if not self.history:
            raise InferError(400, f"model '{self.name}' has no earlier version to roll back to")
        self.served = self.history.pop()

    def start_canary(self, version, weight):
        """Send a share `weight` (0 < weight < 1) of the requests that name no version to another loaded version."""
        self.backend_of(version)
        if version == self.served:
            raise InferError(400, f"model '{self.name}' already serves version {version}: a canary is another version")
        if not 0 < weight < 1:
            raise InferError(400, f"a canary's weight is a share of the traffic between 0 and 1 (exclusive), got {weight}")
        self.canary, self.credit = (version, weight), 0.0

    def route(self):
        """The version that answers a request naming none: the canary for exactly its share (in turn), else the served one."""
        if self.canary is None:
            return self.served
        self.credit += self.canary[1]
        if self.credit >= 1:
            self.credit -= 1
            return self.canary[0]
        return self.served

    def backend_of(self, version=None):
        """The backend serving a version (the served one by default); 404 for a version that is not loaded."""
        version = self.served if version is None else version
        if version not in self.versions:
            raise InferError(404, f"model '{self.name}' has no version {version} (loaded: {sorted(self.versions)})")
        return self.versions[version]

    def expected_inputs(self):
        return {t["name"]: (t["datatype"], t["shape"]) for t in self.config["inputs"]}

    def metadata(self):
        return {"name": self.name, "versions": [str(v) for v in sorted(self.versions)],
                "platform": PLATFORMS[self.backend], "inputs": self.config["inputs"], "outputs": self.config["outputs"]}


class Repository:
    """The models of a repository folder, by name."""

    def __init__(self, root):
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"model repository {self.root} is not a folder")
        self.models = {p.name: Model(p) for p in sorted(self.root.iterdir()) if (p / "config.json").exists()}

    def get(self, name):
        if name not in self.models:
            raise InferError(404, f"unknown model '{name}' (this server has {sorted(self.models)})")
        return self.models[name]

    def index(self):
        return [{"name": n, "version": str(m.served), "state": "READY"} for n, m in self.models.items()]


def digits_mlp(hidden=2048):
    """The example model: a wide MLP on 8x8 digits (a batch costs a + b x size with a >> b on a CPU: batching pays)."""
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, hidden), torch.nn.ReLU(),
                               torch.nn.Linear(hidden, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10))


def train_digits(model, epochs=5, seed=0):
    """Train a digits classifier quickly (full-batch-ish Adam); returns (model, test accuracy)."""
    from aisys.data import digits_tensors

    torch.manual_seed(seed)
    x, y, xt, yt = digits_tensors(seed=seed)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=gen).split(64):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
    with torch.no_grad():
        accuracy = (model.eval()(xt).argmax(1) == yt).float().mean().item()
    return model, accuracy


def example_repository(root=None):
    """The example repository (built on first use): a trained 'digits' MLP as ONNX, version 1."""
    root = Path(root or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "aisys" / "model_repository")
    if not (root / "digits" / "config.json").exists():
        model, _ = train_digits(digits_mlp())
        save_version(root, "digits", 1, model, torch.zeros(1, 1, 8, 8))
    return root
