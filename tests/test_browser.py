"""A real browser: `python -m aisys lab` serves JupyterLab, headless Chromium opens the ch01 solution and runs it all."""

import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from grader.notebook import checks, read
from tests.conftest import REPO

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
NOTEBOOK = "ch01_end_to_end.ipynb"
LAST_CHECK = "PASS [ch01-throughput]"

pytestmark = pytest.mark.browser
if not (CHROMIUM and DRIVER):
    if os.environ.get("CI"):
        raise RuntimeError("CI must run the browser test: install Debian's chromium and chromium-driver (.ci/run does)")
    pytestmark = [pytestmark, pytest.mark.skip(reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")]


def wait_http(url, timeout):
    """Wait until url answers with 200; return the seconds it took."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return time.monotonic() - t0
        except (OSError, http.client.HTTPException):  # not listening yet (even a self-connect)
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@pytest.fixture
def lab_server(tmp_path):
    """JupyterLab started the way `make lab` starts it, on a port that is taken, serving a scratch copy of ch01."""
    shutil.copy(REPO / "solutions" / NOTEBOOK, tmp_path / NOTEBOOK)
    token = secrets.token_hex(16)
    # Render every cell, not only those on screen, so that all outputs can be read from the page.
    settings = tmp_path / "lab-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.Popen([sys.executable, "-m", "aisys", "lab", "--port", str(port), "--no-browser",
                                 "--root", str(tmp_path)], env={**os.environ, "JUPYTER_TOKEN": token, "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "lab-settings")},
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        first = proc.stdout.readline()
    try:
        m = re.search(rf"port {port} is in use.*listen on (\d+) instead", first)
        assert m, f"expected a message about the busy port, got {first!r}"
        url = f"http://127.0.0.1:{m.group(1)}"
        try:
            wait_http(f"{url}/api/status?token={token}", timeout=60)
        except TimeoutError:
            os.killpg(proc.pid, signal.SIGTERM)
            raise AssertionError("JupyterLab did not start; its log:\n" + proc.communicate(timeout=30)[0][-3000:]) from None
        yield url, token
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1400,1000",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}"]:
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    yield driver
    driver.quit()


def outputs(driver):
    """The text of every output area on the page."""
    return driver.execute_script("return [...document.querySelectorAll('.jp-OutputArea-output')].map(e => e.innerText).join('\\n')")


def kernel_state(url, token):
    """The execution state of the notebook's kernel, as the Jupyter server reports it (None before it exists)."""
    with urllib.request.urlopen(f"{url}/api/sessions?token={token}", timeout=5) as r:
        sessions = [x for x in json.load(r) if x.get("path", "").endswith(NOTEBOOK)]
    return sessions[0]["kernel"]["execution_state"] if sessions and sessions[0].get("kernel") else None


def click_text(driver, css, text, timeout=60):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    xpath = f"//*[contains(concat(' ', @class, ' '), ' {css} ') and normalize-space(text())='{text}']"
    WebDriverWait(driver, timeout).until(EC.element_to_be_clickable((By.XPATH, xpath))).click()


def test_run_all_cells_of_ch01_in_jupyterlab(lab_server, browser, tmp_path):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    url, token = lab_server
    browser.get(f"{url}/lab/tree/{NOTEBOOK}?token={token}")
    # Wait, as a person would, until the notebook's kernel has started and is idle (asked of the server itself).
    WebDriverWait(browser, 120).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-Cell"))
    WebDriverWait(browser, 120, poll_frequency=0.5).until(lambda d: kernel_state(url, token) == "idle")
    for attempt in range(3):  # a click that lands while the UI is still settling does nothing: try again
        click_text(browser, "lm-MenuBar-itemLabel", "Run")
        click_text(browser, "lm-Menu-itemLabel", "Run All Cells")
        try:
            WebDriverWait(browser, 30, poll_frequency=0.5).until(lambda d: kernel_state(url, token) == "busy" or outputs(d).strip())
            break
        except TimeoutException:
            continue

    try:
        WebDriverWait(browser, 400, poll_frequency=2).until(lambda d: LAST_CHECK in outputs(d) or "FAIL [" in outputs(d))
    except TimeoutException:
        shot = tmp_path / "jupyterlab.png"
        browser.save_screenshot(str(shot))
        raise AssertionError(f"the last check never printed (screenshot: {shot}); outputs: {outputs(browser)[-2000:]}") from None
    text = outputs(browser)
    assert "FAIL [" not in text and LAST_CHECK in text, text[-2000:]
    assert text.count("PASS [ch01-") == len(checks(read(REPO / "solutions" / NOTEBOOK))), text[-2000:]
    assert "official Jupyter news" not in browser.find_element(By.TAG_NAME, "body").text  # `aisys lab` turned it off


# --- NNI's web UI (ch09a): headless Chromium finds the trials of a real experiment run through aisys.automl

UI_TABS = ("Trials detail", "Intermediate result", "Hyper-parameter")  # what ch09a tells students to look at


@pytest.fixture
def nni_experiment(tmp_path, monkeypatch):
    """A real NNI experiment of 3 quick trials (about 10 s), its web UI on 127.0.0.1, stopped whatever happens."""
    import psutil

    from aisys.automl import experiment, tabular

    monkeypatch.chdir(tmp_path)
    space = {name: {"_type": "choice", "_value": spec["_value"][-2:]} for name, spec in tabular.SPACE.items()}
    with experiment.LocalExperiment(space, "Random", {"seed": 0}, trials=3, concurrency=2) as exp:
        pid = exp.pid
        yield exp
    assert not psutil.pid_exists(pid) or not experiment.is_nni_manager(psutil.Process(pid)), "the NNI manager was left running"


def test_nni_web_ui_shows_the_trials_of_an_experiment_while_it_runs(nni_experiment, browser, tmp_path):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    exp = nni_experiment
    browser.get(f"{exp.url}/detail")  # opened while the trials run; the page polls NNI's manager
    exp.wait(timeout=60, progress=False)
    ids = [r["id"] for r in exp.results()]
    assert len(ids) == 3

    def page(d):
        return d.find_element(By.TAG_NAME, "body").text

    try:  # the table refreshes every 10 s; the Refresh button would do it at once, but waiting is what a person sees
        WebDriverWait(browser, 60, poll_frequency=0.5).until(lambda d: all(i in page(d) for i in ids) and page(d).count("SUCCEEDED") == 3)
    except TimeoutException:
        shot = tmp_path / "nni-webui.png"
        browser.save_screenshot(str(shot))
        raise AssertionError(f"the web UI never listed trials {ids} as SUCCEEDED (screenshot: {shot}); page: {page(browser)[-2000:]}") from None
    text = page(browser)
    assert all(tab in text for tab in UI_TABS), text[:1000]
    lab = "\n".join(c.source for c in read(REPO / "solutions" / "ch09a_hpo.ipynb").cells if c.cell_type == "markdown")
    assert "web UI" in lab and all(tab.lower() in lab.lower() for tab in UI_TABS), "ch09a must say where to look in the web UI"
