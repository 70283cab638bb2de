"""The sandbox a submission's kernel runs in: bubblewrap, with a read-only system, a private home, /tmp and network."""

import functools
import glob
import os
import shutil
import site
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NOBODY = 65534  # the user a root grader drops to (root's process count is never limited)
TMPFS_BYTES = 2 * 2**30  # the private /tmp (home included) and /dev/shm live in memory: each is capped
HOME = "/tmp/home"  # the kernel's home, on the same file system as its /tmp (caches are built in one, moved to the other)
MAX_PROCESSES = 1024  # default cap on processes and threads of one submission
FIX = ("install bubblewrap (Debian/Ubuntu: sudo apt install bubblewrap), or pass --sandbox none to grade trusted "
       "notebooks without a sandbox")
NO_SANDBOX = ("graded without a sandbox (--sandbox none): the notebook ran with the grader's rights and could read "
              "and write what the grader can, other submissions and the reference outputs included")


class SandboxUnavailable(RuntimeError):
    """bwrap is missing or cannot make namespaces here; the message names the fix."""


def existing_dirs(paths):
    """The distinct real folders among paths (never /), shallowest first."""
    found = {Path(p).resolve() for p in paths if p and Path(p).is_dir()}
    return sorted((p for p in found if p != Path("/")), key=lambda p: len(p.parts))


def needed():
    """Folders the kernel must read: the project and the Python installation with its packages."""
    return existing_dirs([REPO, sys.prefix, sys.base_prefix, sys.exec_prefix, *site.getsitepackages(),
                          site.getusersitepackages()])


def under(path, folders):
    """Whether path lies strictly inside one of folders."""
    return any(f in path.parents for f in folders)


def mounts(scratch, hide=()):
    """bwrap's filesystem arguments: / read-only, a private /tmp holding the home, hidden folders, the scratch folder writable."""
    scratch = Path(scratch).resolve()
    private = existing_dirs(["/tmp"])
    hidden = [d for d in existing_dirs([Path.home(), *hide]) if d not in private]  # the host's home: empty
    args = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",  # /dev/shm: semaphores, shared tensors
            "--perms", "1777", "--size", str(TMPFS_BYTES), "--tmpfs", "/dev/shm"]
    for dev in sorted(glob.glob("/dev/nvidia*")):  # the GPU, shared with the host
        args += ["--dev-bind", dev, dev]
    for d in sorted(private + [d for d in hidden if not under(d, private)], key=lambda p: len(p.parts)):
        args += ["--perms", "1777" if d in private else "0555", "--size", str(TMPFS_BYTES), "--tmpfs", str(d)]
    rebound = [n for n in needed() if under(n, private + hidden) or n in private + hidden]
    for n in rebound:
        cover = max((d for d in private + hidden if d in n.parents), key=lambda p: len(p.parts), default=n)
        for parent in reversed([p for p in n.parents if cover in p.parents]):  # mount points a user can pass
            args += ["--perms", "0755", "--dir", str(parent)]
        args += ["--ro-bind", str(n), str(n)]
    for d in hidden:  # e.g. solutions/ inside the project, shown again above
        if under(d, rebound):
            args += ["--perms", "0555", "--tmpfs", str(d)]
    return args + ["--bind", str(scratch), str(scratch), "--chdir", str(scratch), "--perms", "0777", "--dir", HOME,
                   "--setenv", "HOME", HOME, "--setenv", "TMPDIR", "/tmp"]


def wrap(cmd, scratch, hide=()):
    """cmd run inside a new sandbox: its own pid, IPC, UTS and network (loopback only) namespaces, no capabilities."""
    spaces = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--die-with-parent", "--new-session"]
    jail = ["--unshare-user", "--disable-userns"]  # a user namespace of its own: its process count is its own
    if os.geteuid() != 0:
        return ["bwrap", *mounts(scratch, hide), *spaces, *jail, "--", *cmd]
    drop = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]
    return ["bwrap", *mounts(scratch, hide), *spaces, "--", *drop, "bwrap", "--dev-bind", "/", "/", *jail,
            "--die-with-parent", "--", *cmd]


def prepare(scratch):
    """Make the scratch folder the sandbox's own (a root grader runs the kernel as nobody)."""
    if os.geteuid() == 0:
        os.chown(scratch, NOBODY, NOBODY)


@functools.cache
def probe():
    """None when a sandbox starts here (tried once, with Python inside), else why not."""
    if shutil.which("bwrap") is None:
        return "bubblewrap (bwrap) is not installed"
    with tempfile.TemporaryDirectory(prefix="aisys-probe-") as scratch:
        prepare(scratch)
        try:
            r = subprocess.run(wrap([sys.executable, "-I", "-S", "-c", "pass"], scratch), capture_output=True,
                               text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as e:
            return f"bwrap could not start ({e})"
    if r.returncode != 0:
        return f"bwrap cannot make a sandbox here ({r.stderr.strip() or f'exit {r.returncode}'}; e.g. a container that forbids namespaces)"
    return None


def require(kind):
    """Refuse to grade in a sandbox that cannot start: SandboxUnavailable naming the fix."""
    if kind not in ("bwrap", "none"):
        raise SandboxUnavailable(f"--sandbox {kind!r}: choose bwrap or none")
    if kind == "bwrap" and (reason := probe()):
        raise SandboxUnavailable(f"cannot sandbox the submissions: {reason}. To fix it, {FIX}.")
