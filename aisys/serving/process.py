"""Start a model server in its own process (on a free port of 127.0.0.1) from a notebook or a test, and stop it."""

import atexit
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from aisys.serving.server import policy_file_contents

RUNNING = set()


class ServerProcess:
    """A running `python -m aisys.serving serve` child: its URL, and stop() (also on exit and as a context manager)."""

    def __init__(self, repo=None, policies=None, timeout=120, max_body=None, scheduler=None):
        self.folder = tempfile.TemporaryDirectory(prefix="aisys-serve-")
        command = [sys.executable, "-m", "aisys.serving", "serve", "--port", "0"]
        if repo is not None:
            command += ["--repo", str(repo)]
        if policies or scheduler is not None:
            path = Path(self.folder.name) / "policies.pkl"
            path.write_bytes(policy_file_contents(policies, scheduler))
            command += ["--policies", str(path)]
        if max_body:
            command += ["--max-body", str(max_body)]
        self.log = Path(self.folder.name) / "server.log"
        env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, env=env, text=True)
        RUNNING.add(self)
        self.url = self._wait_for_url(timeout)

    def _wait_for_url(self, timeout):
        line = []
        reader = threading.Thread(target=lambda: line.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if not line or not line[0].startswith("listening on "):
            self.stop()
            raise RuntimeError(f"the model server did not start within {timeout} s: {self.log_tail()}")
        return line[0].split()[-1]

    def log_tail(self, chars=2000):
        """The end of the server's stderr."""
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def stop(self, timeout=30):
        """SIGTERM (the server answers what is queued, then exits); SIGKILL after timeout. Returns the exit code."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()
        RUNNING.discard(self)
        return self.process.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        self.folder.cleanup()

    def __repr__(self):
        return f"ServerProcess({getattr(self, 'url', 'not started')}, pid {self.process.pid})"


@atexit.register
def _stop_all():
    for server in list(RUNNING):
        server.stop(timeout=5)
