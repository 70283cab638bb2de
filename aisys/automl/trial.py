"""An NNI trial: the table's digits MLP with the parameters NNI sends, reporting validation accuracy each epoch."""

import nni

from aisys.automl.tabular import mlp_curve


def main():
    """Train one configuration (its `epochs` key, default 9) and report every epoch and the final accuracy."""
    params = dict(nni.get_next_parameter())
    epochs = int(params.pop("epochs", 9))
    curve = mlp_curve(params, epochs, report=nni.report_intermediate_result)
    nni.report_final_result(curve[-1])


if __name__ == "__main__":
    main()
