"""aisys.automl: the shipped HPO table and its recipe, and real NNI experiments that leave nothing behind."""

import numpy as np
import pytest

from aisys.automl import tabular


@pytest.fixture(scope="module")
def table():
    return tabular.load()


def test_the_shipped_table_holds_every_configuration_of_its_space_once(table):
    sizes = [len(spec["_value"]) for spec in tabular.SPACE.values()]
    assert len(table.configs) == np.prod(sizes) == len(table.index)
    assert table.curves.shape == (len(table.configs), tabular.EPOCHS)
    assert ((table.curves >= 0) & (table.curves <= 1)).all() and (table.seconds > 0).all()


def test_the_recipe_reproduces_rows_of_the_shipped_table(table):
    data = tabular.digits_split()
    for i in (0, 97, 250, len(table.configs) - 1):
        curve = tabular.mlp_curve(table.configs[i], tabular.EPOCHS, data=data)
        assert np.allclose(curve, table.curves[i], atol=1e-4), table.configs[i]


def test_a_look_up_reads_the_curve_at_the_epoch_asked(table):
    config = table.configs[5]
    assert table.accuracy(config, 3) == table.curve(config)[2] == table.curves[5, 2]
    assert table.accuracy(config) == table.curves[5, -1]
    assert table.best == table.curves[:, -1].max()


def test_a_look_up_outside_the_table_names_the_problem(table):
    config = dict(table.configs[0], lr=0.5)
    with pytest.raises(KeyError, match="not in the table"):
        table.accuracy(config)
    with pytest.raises(ValueError, match="epochs must be 1..27"):
        table.accuracy(table.configs[0], 0)


def test_save_and_load_round_trip(table, tmp_path):
    path = tmp_path / "t.csv"
    tabular.save(table, path)
    again = tabular.load(path)
    assert again.configs == table.configs and np.allclose(again.curves, table.curves, atol=1e-4)


def test_nni_tuners_run_in_process_repeat_with_their_seed_and_stay_in_the_table(table):
    from nni.algorithms.hpo.evolution_tuner import EvolutionTuner
    from nni.algorithms.hpo.hyperopt_tuner import HyperoptTuner
    from nni.algorithms.hpo.tpe_tuner import TpeTuner

    makers = {"TPE": lambda s: TpeTuner(optimize_mode="maximize", seed=s, tpe_args={"n_startup_jobs": 3}),
              "Evolution": lambda s: EvolutionTuner("maximize", population_size=4),  # seeds itself from the OS
              "Anneal": lambda s: HyperoptTuner("anneal", optimize_mode="maximize")}  # so does hyperopt's generator
    for name, make in makers.items():
        runs = [tabular.run_tuner(make(s), table.accuracy, table.space, 12, concurrency=2, seed=s) for s in (7, 7, 8)]
        assert runs[0] == runs[1] != runs[2], name
        assert len(runs[0]) == 12 and all(score == table.accuracy(config) for config, score in runs[0]), name


def test_run_tuner_keeps_concurrency_proposals_in_flight_and_reports_in_order(table):
    from nni.tuner import Tuner

    class Recording(Tuner):
        def __init__(self):
            self.events, self.rng = [], np.random.default_rng(0)

        def update_search_space(self, space):
            self.space = space

        def generate_parameters(self, parameter_id, **kwargs):
            self.events.append(("propose", parameter_id))
            return {k: spec["_value"][self.rng.integers(len(spec["_value"]))] for k, spec in self.space.items()}

        def receive_trial_result(self, parameter_id, parameters, value, **kwargs):
            self.events.append(("result", parameter_id))

    tuner = Recording()
    tabular.run_tuner(tuner, table.accuracy, table.space, 5, concurrency=2)
    assert tuner.events == [("propose", 0), ("propose", 1), ("result", 0), ("propose", 2), ("result", 1),
                            ("propose", 3), ("result", 2), ("propose", 4), ("result", 3), ("result", 4)]


def test_a_tuner_that_proposes_nothing_stops_the_run_with_its_name(table):
    import nni
    from nni.tuner import Tuner

    class Exhausted(Tuner):
        def update_search_space(self, space):
            pass

        def generate_parameters(self, parameter_id, **kwargs):
            raise nni.NoMoreTrialError()

        def receive_trial_result(self, *args, **kwargs):
            pass

    with pytest.raises(RuntimeError, match="Exhausted proposed nothing"):
        tabular.run_tuner(Exhausted(), table.accuracy, table.space, 3)


# --- real NNI experiments (aisys.automl.experiment): a few seconds each, and no NNI process left behind

from aisys.automl import experiment  # noqa: E402


def _gone(pid):
    """Whether no NNI manager runs under this PID any more (other sessions' managers do not count)."""
    import psutil

    return not psutil.pid_exists(pid) or not experiment.is_nni_manager(psutil.Process(pid))


def _space():
    return {name: {"_type": "choice", "_value": spec["_value"][-2:]} for name, spec in tabular.SPACE.items()}


def test_broken_tuners_are_refused_with_the_reason(tmp_path):
    for name in ("Hyperband", "BOHB", "GP"):
        with pytest.raises(ValueError, match="leaves it out"):
            experiment.LocalExperiment(_space(), name, workdir=tmp_path)


def test_a_final_result_after_its_trial_ended_is_dropped_not_a_crash():
    from aisys.automl.guarded import GuardedTuner

    tuner = GuardedTuner(builtin="TPE", class_args={"optimize_mode": "maximize", "seed": 0})
    tuner.update_search_space(_space())
    params = tuner.generate_parameters(0)
    tuner.trial_end(0, False)  # the assessor killed it...
    tuner.receive_trial_result(0, params, 0.9)  # ...and its final result came after: NNI's TPE alone raises KeyError
    with pytest.raises(KeyError):
        tuner.inner.receive_trial_result(0, params, 0.9)


def test_results_pair_each_trial_with_its_own_parameters_when_a_resume_reuses_parameter_ids():
    import json

    from nni.experiment.data import TrialJob, TrialMetricData

    def job(trial, start, pid, params):
        hp = json.dumps({"parameter_id": pid, "parameter_source": "algorithm", "parameters": params, "parameter_index": 0})
        return TrialJob(trial, "SUCCEEDED", start, 0, endTime=start + 1000, hyperParameters=[hp])

    def final(trial, pid, value):
        return TrialMetricData(0, trial, pid, "FINAL", 0, json.dumps(json.dumps(value)))  # NNI stores it encoded twice

    jobs = [job("first", 1_000, 1, {"lr": 0.1}), job("swapped", 1_001, 2, {"lr": 0.3}), job("mate", 1_002, 3, {"lr": 0.2}),
            job("resumed", 5_000, 1, {"lr": 0.9})]  # after the resume at 4_000 the dispatcher hands out id 1 again
    metrics = {"first": [final("first", 1, 0.5)], "swapped": [final("swapped", 3, 0.6)], "mate": [final("mate", 2, 0.7)],
               "resumed": [final("resumed", 1, 0.8)]}
    rows = experiment.trial_rows(jobs, metrics, [0, 4_000])
    assert [(r["id"], r["parameters"], r["accuracy"]) for r in rows] == [
        ("first", {"lr": 0.1}, 0.5), ("swapped", {"lr": 0.2}, 0.6), ("mate", {"lr": 0.3}, 0.7), ("resumed", {"lr": 0.9}, 0.8)]
    assert experiment.trial_rows(jobs, metrics)[0]["parameters"] == {"lr": 0.9}  # without the launch times: the collision


def test_an_experiment_runs_on_localhost_its_results_match_the_table_and_nothing_is_left(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    table = tabular.load()
    with experiment.LocalExperiment(_space(), "Random", {"seed": 0}, trials=3, concurrency=2) as exp:
        pid = exp.pid
        listening = {(c.laddr.ip, c.laddr.port) for c in __import__("psutil").Process(pid).net_connections("tcp") if c.status == "LISTEN"}
        assert listening == {("127.0.0.1", exp.port)}, listening
        exp.wait(timeout=60, progress=False)
        results = exp.results()
    assert f"web UI at http://127.0.0.1:{exp.port}" in capsys.readouterr().out
    assert len(results) == 3 and all(r["status"] == "SUCCEEDED" for r in results)
    for r in results:
        assert len(r["curve"]) == 9 and r["accuracy"] == pytest.approx(table.accuracy(r["parameters"], 9), abs=1e-4)  # the table keeps 4 decimals
    assert _gone(pid) and not (tmp_path / "nni-experiments" / "running.json").exists()
    assert (tmp_path / "nni-experiments" / exp.id / "db").exists()  # NNI's files stay in the working folder


def test_a_stale_manager_is_stopped_at_the_next_start(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    left = experiment.LocalExperiment(_space(), "Random", {"seed": 1}, trials=2, concurrency=1).start()
    stale_pid = left.pid  # as if the kernel died here: never stopped
    messages = experiment.stop_stale()
    assert messages and f"manager PID {stale_pid}" in messages[0]
    assert _gone(stale_pid)
    left.stop()  # the driver's own clean-up finds nothing left to stop


def test_a_crashed_dispatcher_ends_the_wait_with_an_error_and_stops_everything(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exp = experiment.LocalExperiment(_space(), "TPE", {"no_such_argument": 1}, trials=2)
    with pytest.raises(experiment.ExperimentError, match="dispatcher crashed"):
        with exp:
            pid = exp.pid
            exp.wait(timeout=60, progress=False)
    assert _gone(pid)


def test_the_reference_stopping_rules_of_the_checks_stop_what_their_definitions_say():
    from aisys.automl import assessors

    assert assessors.log_fit([1.0, 1.0 + np.log(2), 1.0 + np.log(3)], 9) == pytest.approx(1.0 + np.log(9))
    good, flat, late = [0.5, 0.7, 0.8, 0.9], [0.1, 0.1, 0.1, 0.1], [0.1, 0.1, 0.1, 0.95]
    assert assessors.curve_fit_rule([good, flat, late], 2, 0.02) == [None, 2, 2]  # predicted far below 0.9 from step 2
    assert assessors.curve_fit_rule([flat, good], 2, 0.02) == [None, None]  # 0.7 rising beats best 0.1
    assert assessors.median_rule([good, flat, late], 2) == [None, 2, 2]
    assert assessors.median_rule([good, [0.9, 0.1, 0.1, 0.1]], 2, latest=True) == [None, 2]
    assert assessors.median_rule([good, [0.9, 0.1, 0.1, 0.1]], 2) == [None, None]  # its best so far, 0.9, stays above
