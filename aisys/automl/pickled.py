"""A tuner object sent to NNI's dispatcher by value: notebook-defined Tuner classes work as custom tuners."""

from nni.tuner import Tuner


class PickledTuner(Tuner):
    """Loads a cloudpickled Tuner from `path` and forwards NNI's calls to it."""

    def __init__(self, path):
        import cloudpickle

        with open(path, "rb") as f:
            self.inner = cloudpickle.load(f)

    def update_search_space(self, search_space):
        return self.inner.update_search_space(search_space)

    def generate_parameters(self, parameter_id, **kwargs):
        return self.inner.generate_parameters(parameter_id, **kwargs)

    def receive_trial_result(self, parameter_id, parameters, value, **kwargs):
        return self.inner.receive_trial_result(parameter_id, parameters, value, **kwargs)

    def trial_end(self, parameter_id, success, **kwargs):
        return self.inner.trial_end(parameter_id, success, **kwargs)
