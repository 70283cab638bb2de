"""Start JupyterLab on loopback with a token, on a free port, opened on the labs/ folder."""

import json
import os
import socket
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def port_free(port, host="127.0.0.1"):
    """Whether a TCP port can be bound on host right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def pick_port(preferred, host="127.0.0.1", tries=50):
    """The preferred port if it is free, else the next free one above it; raises when none of `tries` is."""
    for port in range(preferred, preferred + tries):
        if port_free(port, host):
            return port
    raise OSError(f"ports {preferred}-{preferred + tries - 1} on {host} are all in use: "
                  f"stop another Jupyter server or choose one with 'make lab PORT=NNNN'")


QUIET = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}


def quiet_settings(prefix=sys.prefix):
    """Turn off JupyterLab's news pop-up and update check in this environment's overrides (kept: other overrides)."""
    path = Path(prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    try:
        current = json.loads(path.read_text())
    except (OSError, ValueError):
        current = {}
    merged = {**current, **{k: {**current.get(k, {}), **v} for k, v in QUIET.items()}}
    if merged != current:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(merged, indent=2))
    return path


def lab_command(port, root=REPO, open_browser=True):
    """The jupyter lab command line: loopback only, token on, no port hopping, opened on labs/."""
    cmd = [sys.executable, "-m", "jupyterlab", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
           "--ServerApp.port_retries=0", f"--ServerApp.root_dir={root}", "--LabApp.default_url=/lab/tree/labs",
           f"--ServerApp.open_browser={open_browser}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI run as root; Jupyter refuses without this
        cmd.append("--ServerApp.allow_root=True")
    return cmd


def launch(port=8888, open_browser=True, root=REPO):
    """Replace this process with JupyterLab on the chosen port, saying so when the preferred one is taken."""
    if not Path(root).is_dir():
        raise OSError(f"--root {root}: no such folder")
    chosen = pick_port(port)
    if chosen != port:
        print(f"aisys: port {port} is in use (another Jupyter?); JupyterLab will listen on {chosen} instead. "
              f"Choose one with 'make lab PORT=NNNN'.", flush=True)
    quiet_settings()
    cmd = lab_command(chosen, root=Path(root).resolve(), open_browser=open_browser)
    os.execv(cmd[0], cmd)
