"""Rebuild datasets/digits_cnn_nas.csv: every architecture of the digits CNN space trained once (about 3 min on one core)."""

import sys

from aisys.automl import nas

if __name__ == "__main__":
    path = sys.argv[1] if len(sys.argv) > 1 else nas.SHIPPED
    table = nas.build()
    nas.save(table, path)
    acc = sorted(table.accuracies)
    print(f"{len(table.archs)} architectures x {nas.EPOCHS} epochs -> {path}")
    print(f"accuracy: best {acc[-1]:.4f}, median {acc[len(acc) // 2]:.4f}, worst {acc[0]:.4f}; "
          f"parameters {table.params.min()}..{table.params.max()}; training {table.seconds.sum():.0f} s in all")
