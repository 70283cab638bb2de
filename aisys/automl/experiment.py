"""Real NNI experiments from a notebook cell: local trials, the web UI on 127.0.0.1, and no process left behind.

NNI 3.0 starts a Node.js manager that listens on all interfaces and survives a killed driver; it writes under
~/nni-experiments. Here every experiment lives under a working folder of the project (git-ignored), the manager
listens on 127.0.0.1 only and reads its experiment list from there too (a preload patches its listen call and home
folder; without that list the web UI waits forever and shows nothing), a stale manager recorded there or answering
on the port is stopped first, and stop() always ends the manager and its trials by PID, whatever happened.
"""

import json
import logging
import os
import signal
import socket
import sys
import time
from pathlib import Path

import psutil

WORKDIR = Path("nni-experiments")
LAUNCHES = "aisys-launches.json"  # per experiment: when it was started and resumed (results() tells trials apart by it)
BROKEN = {"hyperband": "crashes NNI 3.0's dispatcher ('<=' not supported between 'str' and 'int', NNI issue #5263)",
          "bohb": "crashes NNI 3.0's dispatcher (NNI issue #5263, as Hyperband)",
          "gp": "crashes with current SciPy",
          "smac": "needs a package that is gone", "dngo": "needs a package that is gone", "ppo": "needs a package that is gone"}
# Preloaded into NNI's manager (node --require): listen on 127.0.0.1 only, and read the experiment list from the
# working folder (NNI's manager reads ~/nni-experiments/.experiment; its web UI shows nothing without the entry).
PRELOAD = """require('os').homedir = () => WORKDIR;
const net = require('net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' || typeof args[0] === 'string' && /^\\d+$/.test(args[0])) {
    if (typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1');
  } else if (args[0] && typeof args[0] === 'object' && args[0].port !== undefined && !args[0].host) {
    args[0] = Object.assign({}, args[0], {host: '127.0.0.1'});
  }
  return listen.apply(this, args);
};
"""


class ExperimentError(RuntimeError):
    """An experiment that failed, hung or timed out (it has been stopped)."""


def free_port():
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kill_tree(pid, grace=3.0):
    """End a process and all its descendants (SIGTERM, then SIGKILL after `grace` seconds); the PIDs ended."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []
    for p in procs:
        try:
            p.send_signal(signal.SIGTERM)
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(procs, timeout=grace)
    for p in alive:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=grace)
    return [p.pid for p in procs]


def is_nni_manager(proc):
    """Whether a process is an NNI manager (node .../nni_node/main.js)."""
    try:
        return any("nni_node" in part and part.endswith("main.js") for part in proc.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def managers():
    """The NNI manager processes of this user that are running."""
    return [p for p in psutil.process_iter() if is_nni_manager(p)]


def stop_stale(port=None, workdir=WORKDIR):
    """Stop an NNI manager left behind (recorded in workdir, or listening on port); a message per one stopped."""
    messages, record = [], Path(workdir) / "running.json"
    pids = set()
    if record.exists():
        info = json.loads(record.read_text())
        if psutil.pid_exists(info["pid"]) and is_nni_manager(psutil.Process(info["pid"])):
            pids.add(info["pid"])
            messages.append(f"stopped a stale NNI experiment {info['id']} (manager PID {info['pid']}, port {info['port']})")
        record.unlink()
    if port is not None:
        for p in managers():
            try:
                ports = {c.laddr.port for c in p.net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN}
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            if port in ports and p.pid not in pids:
                pids.add(p.pid)
                messages.append(f"stopped a stale NNI manager on port {port} (PID {p.pid})")
    for pid in pids:
        kill_tree(pid)
    for m in messages:
        print(m)
    return messages


def tuner_config(tuner, class_args, workdir):
    """NNI's config for a built-in tuner name or a Tuner object, both run behind aisys.automl.guarded.GuardedTuner."""
    from nni.experiment import CustomAlgorithmConfig

    if isinstance(tuner, str):
        if tuner.lower() in BROKEN:
            raise ValueError(f"the {tuner} tuner {BROKEN[tuner.lower()]}: this lab leaves it out")
        args = {"builtin": tuner, "class_args": class_args or {}}
    else:
        import cloudpickle

        path = Path(workdir).resolve() / f"tuner-{id(tuner):x}.pkl"
        path.write_bytes(cloudpickle.dumps(tuner))
        args = {"path": str(path)}
    return CustomAlgorithmConfig(class_name="aisys.automl.guarded.GuardedTuner", class_args=args)


class LocalExperiment:
    """An NNI experiment with local trials (the digits MLP of aisys.automl.trial); use it in a `with` block."""

    def __init__(self, space, tuner="TPE", tuner_args=None, trials=12, concurrency=2, assessor=None,
                 assessor_args=None, port=None, workdir=WORKDIR, exp_id=None, name="aisys"):
        from nni.experiment import AlgorithmConfig, Experiment

        self.workdir = Path(workdir).resolve()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.exp = Experiment("local", id=exp_id)
        c = self.exp.config
        c.experiment_name = name
        c.search_space = space
        c.trial_command = f"{sys.executable} -m aisys.automl.trial"
        c.trial_code_directory = str(self.workdir)
        c.trial_concurrency = concurrency
        c.max_trial_number = trials
        c.experiment_working_directory = str(self.workdir)
        c.nni_manager_ip = "127.0.0.1"
        c.tuner = tuner_config(tuner, tuner_args, self.workdir)
        if assessor:
            c.assessor = AlgorithmConfig(name=assessor, class_args=assessor_args or {})
        self.pid = None

    @property
    def id(self):
        """The experiment's id (resume it with LocalExperiment(..., exp_id=id).resume())."""
        return self.exp.id

    @property
    def url(self):
        """The web UI's address."""
        return f"http://127.0.0.1:{self.port}"

    def _launch(self, action):
        """Start or resume the manager on 127.0.0.1, recording its PID in the working folder."""
        stop_stale(self.port, self.workdir)
        _use_workdir(self.workdir)
        logging.getLogger("nni").setLevel(logging.ERROR)  # NNI's own log lines (its URLs list every interface)
        preload = self.workdir / "preload.js"
        preload.write_text(PRELOAD.replace("WORKDIR", json.dumps(str(self.workdir)), 1))
        before = os.environ.get("NODE_OPTIONS")
        os.environ["NODE_OPTIONS"] = f"{before or ''} --require {preload}".strip()
        launched = int(time.time() * 1000)  # before the manager starts: every trial of this launch starts later
        try:
            if action == "resume":
                self.exp.load_checkpoint()
                self.exp._action = "resume"
            self.exp.start(self.port)
        except Exception as e:
            self.stop()
            raise ExperimentError(f"NNI could not {action} the experiment: {e}") from e
        finally:
            if before is None:
                os.environ.pop("NODE_OPTIONS", None)
            else:
                os.environ["NODE_OPTIONS"] = before
        self.pid = self.exp._proc.pid
        (self.workdir / self.id / LAUNCHES).write_text(json.dumps(self._launches() + [launched]))
        (self.workdir / "running.json").write_text(json.dumps({"id": self.id, "pid": self.pid, "port": self.port}))
        print(f"NNI experiment {self.id}: web UI at {self.url}")
        return self

    def start(self):
        """Start the experiment (about a second); prints the web UI's address."""
        return self._launch("start")

    def resume(self):
        """Resume a stopped experiment with this exp_id: its finished trials stay, the budget continues."""
        return self._launch("resume")

    def __enter__(self):
        return self.start() if self.pid is None else self

    def __exit__(self, *exc):
        self.stop()

    def status(self):
        """NNI's status: RUNNING, NO_MORE_TRIAL, DONE, STOPPED, ERROR."""
        return self.exp.get_status()

    def jobs(self):
        """NNI's trial jobs (id, status, parameters, final metric)."""
        return self.exp.list_trial_jobs()

    def wait(self, timeout=120, until=None, progress=True):
        """Wait until the experiment is done (or `until` trials ended); stop it and raise if it fails or hangs."""
        from tqdm.auto import tqdm

        goal = until or self.exp.config.max_trial_number
        deadline, bar = time.monotonic() + timeout, tqdm(total=goal, desc=f"trials of {self.id}", disable=not progress)
        try:
            while True:
                status, jobs = self.status(), self.jobs()
                ended = [j for j in jobs if j.status not in ("WAITING", "RUNNING", "UNKNOWN")]
                bar.update(min(len(ended), goal) - bar.n)
                if status == "ERROR":
                    raise ExperimentError(f"experiment {self.id} failed: {self.exp.get_experiment_profile().get('logs') or 'see its log folder ' + str(self.workdir / self.id / 'log')}")
                if len(ended) >= goal or status in ("DONE", "STOPPED") and len(ended) == len(jobs):
                    return self
                if self._dispatcher_failed():
                    raise ExperimentError(f"experiment {self.id}: the tuner's dispatcher crashed (see {self.workdir / self.id / 'log' / 'dispatcher.log'})")
                if time.monotonic() > deadline:
                    raise ExperimentError(f"experiment {self.id} did not finish within {timeout} s (status {status}, {len(ended)} of {goal} trials ended): stopped")
                time.sleep(0.5)
        except BaseException:
            self.stop()
            raise
        finally:
            bar.close()

    def _dispatcher_failed(self):
        """Whether the tuner's dispatcher logged a traceback (a broken tuner leaves the experiment RUNNING)."""
        log = self.workdir / self.id / "log" / "dispatcher.log"
        return log.exists() and "Traceback" in log.read_text(errors="replace")

    def stop(self):
        """Stop the manager and every trial (gracefully, then by PID); safe to call twice."""
        if self.pid is None:
            return
        try:
            self.exp._proc.wait(timeout=0)
        except Exception:
            pass
        try:
            from nni.experiment import rest

            rest.delete(self.port, "/experiment")
        except Exception:
            pass
        try:
            self.exp._proc.wait(timeout=10)
        except Exception:
            pass
        kill_tree(self.pid)
        try:
            import atexit

            atexit.unregister(self.exp.stop)
            self.exp._stop_logging()
        except Exception:
            pass
        self.exp._proc, self.exp.port, self.pid = None, None, None
        (self.workdir / "running.json").unlink(missing_ok=True)

    def results(self):
        """Every trial as a dict: id, status, parameters, final accuracy, intermediate accuracies (NNI's API)."""
        return trial_rows(self.jobs(), self.exp.get_job_metrics(), self._launches())

    def _launches(self):
        """When the manager was started or resumed (ms since the epoch), oldest first."""
        path = self.workdir / self.id / LAUNCHES
        return json.loads(path.read_text()) if path.exists() else []


def trial_rows(jobs, metrics, launches=()):
    """Rows of results(): each trial with the parameters it received, told apart across resumes by launch time.

    NNI 3.0's trial list can pair concurrently started trials with each other's parameters, so a trial's parameters
    are looked up by the parameter id its metrics carry; and a resumed dispatcher hands out parameter ids from 1
    again, so the id is looked up only among the trials started after the same start or resume (launch).
    """
    def launch(job):
        return sum(t <= (job.startTime or 0) for t in launches)

    by_id = {(launch(job), str(hp.parameter_id)): hp.parameters for job in jobs for hp in (job.hyperParameters or [])}
    rows = []
    for job in sorted(jobs, key=lambda j: j.startTime or 0):
        reported = metrics.get(job.trialJobId, [])
        own = [str(m.parameterId) for m in reported if m.parameterId is not None]
        mine = job.hyperParameters[0].parameters if job.hyperParameters else {}
        params = by_id.get((launch(job), own[0]), mine) if own else mine
        curve = [_number(m.data) for m in sorted(reported, key=lambda m: m.sequence) if m.type == "PERIODICAL"]
        final = [_number(m.data) for m in reported if m.type == "FINAL"]
        rows.append({"id": job.trialJobId, "status": job.status, "parameters": params,
                     "accuracy": final[0] if final else None, "curve": curve,
                     "seconds": ((job.endTime or 0) - (job.startTime or 0)) / 1000 if job.endTime else None})
    return rows


def _number(data):
    """A reported metric as a float (NNI hands back numbers, JSON strings, or dicts with a 'default' key)."""
    if isinstance(data, str):
        data = json.loads(data)
    if isinstance(data, str):
        data = json.loads(data)
    return float(data["default"] if isinstance(data, dict) else data)


def _use_workdir(workdir):
    """Keep NNI's experiment list (normally ~/nni-experiments/.experiment) where the preloaded manager reads it."""
    from nni.tools.nnictl import config_utils

    config_utils.Experiments.__init__.__defaults__ = (str(Path(workdir) / "nni-experiments"),)
