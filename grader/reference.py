"""Reference outputs of a lab's checks for a grading seed: stored ones for seed 0, else made by running the solution."""

import hashlib
import json
import tempfile
from pathlib import Path

from aisys.protocol import SEED_VARIABLE
from grader.solution_run import check_outputs, failing, run_notebook
from grader.notebook import NotebookError, checks, read, write_atomic



def solution_digest(path):
    """A digest of the solution file, so that cached references die with the solution they came from."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def reference_outputs(solution_path, seed, cache_dir, timeout=600):
    """{check id: outputs} the solution prints under `seed`; cached per lab, seed and solution version."""
    solution_path = Path(solution_path)
    nb = read(solution_path)
    if seed == 0:
        stored = check_outputs(nb)
        if all(stored.values()):
            return stored
    cache = Path(cache_dir) / f"{solution_path.stem}-seed{seed}-{solution_digest(solution_path)}.json"
    if cache.exists():
        return json.loads(cache.read_text())
    with tempfile.TemporaryDirectory(prefix="aisys-reference-") as scratch:
        run_notebook(nb, scratch, env={SEED_VARIABLE: str(seed)}, timeout=timeout, where=f"{solution_path} (seed {seed})")
    bad = failing(nb)
    if bad:
        raise NotebookError(f"{solution_path} fails its own checks with seed {seed}: {bad}")
    outputs = check_outputs(nb)
    if set(outputs) != {cid for _, cid, _ in checks(nb)}:
        raise NotebookError(f"{solution_path}: some checks printed nothing with seed {seed}")
    cache.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(cache, json.dumps(outputs))
    return outputs
