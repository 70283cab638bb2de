"""The tuner NNI's dispatcher runs for LocalExperiment: a built-in tuner by name, or a Tuner object sent by value.

It forwards NNI's calls and drops a final result that arrives after its trial ended: NNI 3.0 sends one when an
assessor kills a trial that is just finishing, and its built-in TPE then crashes the dispatcher (KeyError).
"""

import logging

from nni.tuner import Tuner

log = logging.getLogger(__name__)


class GuardedTuner(Tuner):
    """Loads a cloudpickled Tuner from `path` (notebook-defined classes work), or makes NNI's `builtin` one."""

    def __init__(self, path=None, builtin=None, class_args=None):
        if path:
            import cloudpickle

            with open(path, "rb") as f:
                self.inner = cloudpickle.load(f)
        else:
            from nni.tools.package_utils.tuner_factory import create_builtin_class_instance

            self.inner = create_builtin_class_instance(builtin, class_args or {}, "tuners")
        self.ended = set()

    def update_search_space(self, search_space):
        return self.inner.update_search_space(search_space)

    def generate_parameters(self, parameter_id, **kwargs):
        return self.inner.generate_parameters(parameter_id, **kwargs)

    def generate_multiple_parameters(self, parameter_id_list, **kwargs):
        return self.inner.generate_multiple_parameters(parameter_id_list, **kwargs)

    def receive_trial_result(self, parameter_id, parameters, value, **kwargs):
        if parameter_id in self.ended:
            log.warning("dropped the final result of parameter %s: its trial had already ended", parameter_id)
            return None
        return self.inner.receive_trial_result(parameter_id, parameters, value, **kwargs)

    def trial_end(self, parameter_id, success, **kwargs):
        self.ended.add(parameter_id)
        return self.inner.trial_end(parameter_id, success, **kwargs)

    def import_data(self, data):
        return self.inner.import_data(data)
