import json
import socket
import subprocess
import sys

from aisys.labserver import lab_command, pick_port, port_free, quiet_settings


def test_pick_port_steps_over_a_busy_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        busy = s.getsockname()[1]
        assert not port_free(busy)
        chosen = pick_port(busy)
        assert chosen != busy and port_free(chosen)


def test_lab_listens_on_loopback_only_and_never_hops_silently():
    cmd = lab_command(9999, root="/some/where", open_browser=False)
    assert "--ServerApp.ip=127.0.0.1" in cmd and "--ServerApp.port=9999" in cmd
    assert "--ServerApp.port_retries=0" in cmd and "--ServerApp.open_browser=False" in cmd


def test_missing_root_is_a_clear_error(tmp_path):
    r = subprocess.run([sys.executable, "-m", "aisys", "lab", "--no-browser", "--root", str(tmp_path / "nope")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "no such folder" in r.stderr


def test_the_news_pop_up_is_turned_off_and_other_overrides_are_kept(tmp_path):
    path = tmp_path / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"@jupyterlab/apputils-extension:themes": {"theme": "JupyterLab Dark"}}))
    assert quiet_settings(tmp_path) == path
    settings = json.loads(path.read_text())
    assert settings["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    assert settings["@jupyterlab/apputils-extension:themes"] == {"theme": "JupyterLab Dark"}
