"""Reference outputs of a lab's checks for a grading seed: stored ones for seed 0, else made by running the solution."""

import hashlib
import hmac
import json
import os
import secrets
import tempfile
from pathlib import Path

from aisys.protocol import SEED_VARIABLE
from grader.solution_run import check_outputs, failing, run_notebook
from grader.notebook import NotebookError, checks, read, write_atomic


def solution_digest(path):
    """A digest of the solution file, so that cached references die with the solution they came from."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def cache_key(cache_dir):
    """The secret that signs this cache's entries, made on first use, readable by the grader's user only."""
    path = Path(cache_dir) / "key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as f:
        f.write(secrets.token_hex(32).encode())
    return path.read_bytes()


def seal(key, entry):
    """The signature of a cache entry: the solution's digest, the seed and the outputs."""
    body = json.dumps({k: entry[k] for k in ("solution", "seed", "outputs")}, sort_keys=True)
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def cached(path, key, digest, seed):
    """The outputs of a cache entry that is intact and belongs to this solution and seed, else None."""
    try:
        entry = json.loads(path.read_text())
        ok = entry["solution"] == digest and entry["seed"] == seed and hmac.compare_digest(entry["mac"], seal(key, entry))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return entry["outputs"] if ok else None


def reference_outputs(solution_path, seed, cache_dir, timeout=600):
    """{check id: outputs} the solution prints under `seed`, made here (outside any sandbox) or read from a verified cache.

    A cache entry is signed with the cache's key; one that was changed, or made from another solution, is remade."""
    solution_path = Path(solution_path)
    nb = read(solution_path)
    if seed == 0:
        stored = check_outputs(nb)
        if all(stored.values()):
            return stored
    digest, key = solution_digest(solution_path), cache_key(cache_dir)
    cache = Path(cache_dir) / f"{solution_path.stem}-seed{seed}-{digest[:16]}.json"
    if (outputs := cached(cache, key, digest, seed)) is not None:
        return outputs
    with tempfile.TemporaryDirectory(prefix="aisys-reference-") as scratch:
        run_notebook(nb, scratch, env={SEED_VARIABLE: str(seed)}, timeout=timeout, where=f"{solution_path} (seed {seed})")
    bad = failing(nb)
    if bad:
        raise NotebookError(f"{solution_path} fails its own checks with seed {seed}: {bad}")
    outputs = check_outputs(nb)
    if set(outputs) != {cid for _, cid, _ in checks(nb)}:
        raise NotebookError(f"{solution_path}: some checks printed nothing with seed {seed}")
    entry = {"solution": digest, "seed": seed, "outputs": outputs}
    write_atomic(cache, json.dumps({**entry, "mac": seal(key, entry)}))
    return outputs
