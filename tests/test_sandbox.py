"""The grader's bubblewrap sandbox against real attacks: one batch of real ch07 submissions, graded once."""

import csv
import hashlib
import json
import shutil
import socket
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from grader import sandbox
from grader.grade import grade
from tests.conftest import REPO
from tests.fixture_lab import build

LAB = REPO / "solutions" / "ch07_scheduling.ipynb"
TOKEN = uuid.uuid4().hex[:12]
WRITES = {"project": REPO / f"pwned-{TOKEN}", "solutions": REPO / "solutions" / f"pwned-{TOKEN}",
          "aisys": REPO / "aisys" / f"pwned_{TOKEN}.py", "cache": REPO / ".grader-cache" / f"pwned-{TOKEN}",
          "home": Path.home() / f"pwned-{TOKEN}", "tmp": Path("/tmp") / f"pwned-{TOKEN}"}

WRITE = '''import json, os
from pathlib import Path
outcome = {}
for name, target in %r.items():
    try:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        Path(target).write_text("pwned")
        outcome[name] = "written"
    except OSError as e:
        outcome[name] = type(e).__name__
try:
    open(%r, "r+").close()
    outcome["solution opened for writing"] = "yes"
except OSError as e:
    outcome["solution opened for writing"] = type(e).__name__
raise RuntimeError("WRITES " + json.dumps(outcome))'''

READ = '''import json, os
seen = {}
for target in %r:
    try:
        seen[target] = len(open(target).read())
    except OSError as e:
        seen[target] = type(e).__name__
seen["batch folder"] = sorted(os.listdir(%r))
raise RuntimeError("READS " + json.dumps(seen))'''

NET = '''import json, socket
net = {}
try:
    socket.create_connection(("127.0.0.1", %d), timeout=3).close()
    net["host listener"] = "connected"
except OSError as e:
    net["host listener"] = type(e).__name__
server = socket.create_server(("127.0.0.1", 0))
client = socket.create_connection(server.getsockname(), timeout=3)
peer, _ = server.accept()
client.sendall(b"ok")
net["own loopback"] = peer.recv(2).decode()
raise RuntimeError("NET " + json.dumps(net))'''

MEMORY = "hog = bytearray(64 * 2**30)"

CHANNEL = '''import json, os
opened = []  # pipes of other processes (the grader's result channel among them) opened for writing
for pid in (p for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()):
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        continue
    for n in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{n}").startswith("pipe:"):
                os.close(os.open(f"/proc/{pid}/fd/{n}", os.O_WRONLY))
                opened.append(f"{pid}/{n}")
        except OSError:
            pass
raise RuntimeError("CHANNEL " + json.dumps(opened))'''

FORK = '''import os, signal, time
children, stopped = [], None
try:
    for _ in range(400):
        pid = os.fork()
        if pid == 0:
            time.sleep(300)
            os._exit(0)
        children.append(pid)
except OSError as e:
    stopped = type(e).__name__
for pid in children:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
raise RuntimeError(f"FORKS {len(children)} {stopped}")'''


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def listener():
    """A server on the host's loopback that records every connection made to it."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    accepted, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    stop.set()
    thread.join()
    server.close()


@pytest.fixture(scope="module")
def graded(listener):
    """A batch folder (outside /tmp, so that hiding it is what is tested) of alice (the solution) and mallory
    (the solution, then one cell per attack), graded once by the command line with a small process cap."""
    port, accepted = listener
    root = REPO / "build" / f"sandbox-test-{TOKEN}"
    folder, out = root / "class", root / "grades" / "grades.csv"
    folder.mkdir(parents=True)
    alice = folder / "alice.ipynb"
    shutil.copy(LAB, alice)
    nb = nbformat.read(LAB, 4)
    for source in (WRITE % ({k: str(v) for k, v in WRITES.items()}, str(LAB)), READ % ([str(alice), str(LAB)], str(folder)),
                   NET % port, MEMORY, CHANNEL, FORK):
        nb.cells.append(new_code_cell(source))
    nbformat.write(nb, folder / "mallory.ipynb")
    before = {p: digest(p) for p in [LAB, alice, *sorted((REPO / "aisys").glob("*.py"))]}
    try:
        r = subprocess.run([sys.executable, "-m", "grader", "batch", str(folder), "--out", str(out), "--jobs", "2",
                            "--max-processes", "200", "--memory-gb", "4"], capture_output=True, text=True, timeout=600)
        reports = {s: json.loads((out.parent / f"{s}.json").read_text()) for s in ("alice", "mallory")}
        rows = {row["student"]: row for row in csv.DictReader(out.open())}
        yield r, reports, rows, before, accepted
    finally:
        shutil.rmtree(root)
        for path in WRITES.values():  # only reached if the sandbox failed; leave the machine clean anyway
            path.unlink(missing_ok=True)


def error(report, word):
    """The payload of the attack cell whose error starts with word."""
    found = [e for e in report["errors"] if f"RuntimeError: {word} " in e]
    assert len(found) == 1, report["errors"]
    return found[0].split(f"RuntimeError: {word} ", 1)[1]


def test_the_batch_is_graded_normally_beside_the_attacks(graded):
    r, reports, rows, _, _ = graded
    assert r.returncode == 0, r.stderr
    for student in ("alice", "mallory"):
        assert reports[student]["sandbox"] == "bwrap" and reports[student]["warnings"] == []
        assert rows[student]["score"] == rows[student]["max_score"] != "0", rows[student]
    assert reports["alice"]["errors"] == []
    assert len(reports["mallory"]["errors"]) == 6  # one per attack cell, each contained


def test_writes_outside_the_scratch_folder_reach_nothing(graded):
    _, reports, _, before, _ = graded
    outcome = json.loads(error(reports["mallory"], "WRITES"))
    for name in ("project", "solutions", "aisys", "cache", "home", "solution opened for writing"):
        assert outcome[name] in ("OSError", "PermissionError", "FileNotFoundError"), outcome
    assert outcome["tmp"] == "written"  # its private /tmp, gone with the sandbox
    assert not any(p.exists() for p in WRITES.values()), [p for p in WRITES.values() if p.exists()]
    assert {p: digest(p) for p in before} == before


def test_another_students_notebook_and_the_solutions_cannot_be_read(graded):
    _, reports, _, _, _ = graded
    seen = json.loads(error(reports["mallory"], "READS"))
    folder = Path(reports["alice"]["submission"]).parent
    assert seen == {str(folder / "alice.ipynb"): "FileNotFoundError", str(LAB): "FileNotFoundError", "batch folder": []}


def test_the_hosts_loopback_is_out_of_reach_but_its_own_works(graded):
    _, reports, _, _, accepted = graded
    net = json.loads(error(reports["mallory"], "NET"))
    assert net == {"host listener": "ConnectionRefusedError", "own loopback": "ok"}
    assert accepted == []


def test_the_result_channel_cannot_be_forged(graded):
    _, reports, _, _, _ = graded
    assert json.loads(error(reports["mallory"], "CHANNEL")) == []


def test_memory_and_processes_are_capped(graded):
    _, reports, _, _, _ = graded
    assert any("MemoryError" in e for e in reports["mallory"]["errors"]), reports["mallory"]["errors"]
    forks, stopped = error(reports["mallory"], "FORKS").split()
    assert stopped == "BlockingIOError" and int(forks) < 200


@pytest.fixture(scope="module")
def fixture_lab(tmp_path_factory):
    return build(tmp_path_factory.mktemp("fixture"))


def test_check_without_a_sandbox_gives_the_same_verdicts(fixture_lab, tmp_path):
    blank = fixture_lab / "labs" / "ch00_fixture.ipynb"
    kw = dict(solutions_dir=fixture_lab / "solutions", cache_dir=tmp_path, cell_timeout=20)
    inside, outside = grade(blank, **kw), grade(blank, sandbox="none", **kw)
    assert [(c.id, c.status, c.feedback) for c in inside.checks] == [(c.id, c.status, c.feedback) for c in outside.checks]
    assert (inside.sandbox, inside.warnings) == ("bwrap", [])
    assert outside.sandbox == "none" and "without a sandbox" in outside.warnings[0]


def cli(*args, path=None):
    env = None if path is None else {"PATH": path, "HOME": str(Path.home())}
    return subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, timeout=120, env=env)


def test_without_a_working_bwrap_grading_is_refused_naming_the_fix(fixture_lab, tmp_path):
    nb = str(fixture_lab / "labs" / "ch00_fixture.ipynb")
    solutions = str(fixture_lab / "solutions")
    for cmd in (["grade", nb], ["batch", str(fixture_lab / "labs"), "--out", str(tmp_path / "g.csv")]):
        r = cli(*cmd, "--solutions", solutions, path=str(tmp_path / "empty"))
        assert r.returncode == 2 and "bubblewrap (bwrap) is not installed" in r.stderr, r.stderr
        assert "apt install bubblewrap" in r.stderr and "--sandbox none" in r.stderr
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "bwrap").write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n")
    (fake / "bwrap").chmod(0o755)
    r = cli("grade", nb, "--solutions", solutions, path=f"{fake}:/usr/bin:/bin")
    assert r.returncode == 2 and "cannot make a sandbox here (bwrap: No permissions" in r.stderr, r.stderr
    assert not (tmp_path / "g.csv").exists()


def test_mounts_hide_a_folder_holding_the_project_and_pass_the_gpu_through(monkeypatch, tmp_path):
    monkeypatch.setattr(sandbox.glob, "glob", lambda pattern: ["/dev/nvidia0", "/dev/nvidiactl"])
    args = " ".join(sandbox.mounts(tmp_path, hide=[REPO.parent, REPO / "solutions"]))
    assert "--dev-bind /dev/nvidia0 /dev/nvidia0 --dev-bind /dev/nvidiactl /dev/nvidiactl" in args
    hide, show, rehide = (args.index(s) for s in (f"--tmpfs {REPO.parent} ", f"--ro-bind {REPO} {REPO} ",
                                                   f"--perms 0555 --tmpfs {REPO / 'solutions'} "))
    assert hide < show < rehide  # the project shown again inside the hidden folder, its solutions hidden again
    assert f"--perms 0555 --size {sandbox.TMPFS_BYTES} --tmpfs {Path.home().resolve()} " in args  # the host's home, empty
    assert args.endswith(f"--bind {tmp_path} {tmp_path} --chdir {tmp_path} --perms 0777 --dir /tmp/home "
                         "--setenv HOME /tmp/home --setenv TMPDIR /tmp")
