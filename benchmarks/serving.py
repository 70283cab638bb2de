"""aisys.serving under load on loopback: (a) dynamic batching against batch-1 serving, the highest throughput each keeps
under one p99 bound (found by search over open-loop rates, both servers in one run); (b) the batching server held at
that peak with 10% malformed requests, counting failed valid ones; (c) ONNX Runtime int8 against fp32 at batch 64 and
ONNX Runtime against eager PyTorch at batch 1, on the same digits MLP. Client and server share this machine's cores;
the CPU seconds each spent per request are printed, since on a small machine they, not the model, set the ceiling.

Run: python benchmarks/serving.py [--p99-ms 50] [--duration 60] [--probe 1.5]
(targets: batching >= 3x batch-1 at the same p99 bound; no failed valid request at the peak; int8 >= 1.5x at batch 64;
ORT >= 2x eager at batch 1)
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from aisys.bench import measure
from aisys.data import digits_tensors
from aisys.serving import DynamicBatching, NoBatching, ServerProcess, digits_mlp, ort_session, run_load, save_version, train_digits


def cpu_seconds(pid):
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def probe(server, x, rate, seconds, seed, malformed=0.0):
    """One open-loop run: its summary, with the server's and this client's CPU seconds per answered request."""
    server_cpu, client_cpu = cpu_seconds(server.process.pid), time.process_time()
    summary = run_load(server.url, "digits", x, rate=rate, duration=seconds, seed=seed, malformed=malformed).summary()
    answered = max(summary["requests"] - summary["failed"] + summary["malformed_refused"], 1)
    summary["server_cpu_ms"] = (cpu_seconds(server.process.pid) - server_cpu) / answered * 1000
    summary["client_cpu_ms"] = (time.process_time() - client_cpu) / answered * 1000
    return summary


def peak(server, x, bound_ms, seconds, start=200.0):
    """The highest open-loop rate (within 10%) whose p99 stays under bound_ms with every request answered: doubling,
    then bisection, then confirmed by a longer probe. Returns (rate, summary at that rate), or None if even `start` / 8
    is over."""
    rate, good, bad, seed = start, None, None, 0
    while True:
        seed += 1
        s = probe(server, x, rate, seconds, seed)
        ok = s["p99_ms"] <= bound_ms and s["failed"] == 0 and s["throughput_rps"] >= 0.9 * rate
        print(f"    offered {rate:6.0f} req/s: served {s['throughput_rps']:6.0f}, p50 {s['p50_ms']:7.1f} ms, p99 {s['p99_ms']:8.1f} ms; "
              f"CPU per request: server {s['server_cpu_ms']:.3f} ms, client {s['client_cpu_ms']:.3f} ms{'' if ok else '  (over)'}", flush=True)
        good, bad = ((rate, s), bad) if ok else (good, rate)
        if bad is None:
            rate *= 2
        elif good is None:
            if rate < start / 8:
                return None
            rate /= 2
        elif bad / good[0] <= 1.1:
            return confirmed(server, x, bound_ms, *good)
        else:
            rate = (good[0] + bad) / 2


def confirmed(server, x, bound_ms, rate, summary, seconds=10.0):
    """The rate, stepped down by 10% until a probe of `seconds` holds it too: a short probe misses a slowly growing queue."""
    while True:
        s = probe(server, x, rate, seconds, seed=int(rate))
        if s["p99_ms"] <= bound_ms and s["failed"] == 0 and s["throughput_rps"] >= 0.9 * rate:
            print(f"    confirmed over {seconds:.0f} s: offered {rate:.0f} req/s, served {s['throughput_rps']:.0f}, "
                  f"p99 {s['p99_ms']:.1f} ms", flush=True)
            return rate, s
        print(f"    not held over {seconds:.0f} s at {rate:.0f} req/s (p99 {s['p99_ms']:.1f} ms, {s['failed']} failed): 10% lower", flush=True)
        rate *= 0.9


def runtimes(model, folder, x_test, y_test):
    """Latency (ms) of ONNX Runtime fp32 and int8 at batch 64, of ONNX Runtime and eager PyTorch at batch 1, and accuracies."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    fp32, int8 = folder / "digits" / "1" / "model.onnx", folder / "digits_int8.onnx"
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
    sessions = {"fp32": ort_session(fp32), "int8": ort_session(int8)}
    run = lambda s, x: s.run(None, {"input": x})[0]
    torch.set_num_threads(1)
    ms = lambda fn, *a: measure(fn, *a, warmup=3, min_time=0.5).median * 1000
    x64, x1 = x_test[:64].numpy(), x_test[:1].numpy()
    with torch.no_grad():
        eager = ms(model, x_test[:1])
    acc = {k: float((run(s, x_test.numpy()).argmax(1) == y_test.numpy()).mean()) for k, s in sessions.items()}
    return {"fp32_64": ms(run, sessions["fp32"], x64), "int8_64": ms(run, sessions["int8"], x64),
            "ort_1": ms(run, sessions["fp32"], x1), "eager_1": eager, "accuracy": acc}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--p99-ms", type=float, default=50.0, help="the p99 bound both policies are held to")
    p.add_argument("--duration", type=float, default=60.0, help="seconds of the sustained run at the peak")
    p.add_argument("--probe", type=float, default=1.5, help="seconds of each open-loop probe of the search")
    args = p.parse_args()
    torch.manual_seed(0)
    _, _, x_test, y_test = digits_tensors()
    model, accuracy = train_digits(digits_mlp())
    x = x_test[:1].numpy()
    with tempfile.TemporaryDirectory(prefix="aisys-bench-") as folder:
        folder = Path(folder)
        save_version(folder, "digits", 1, model, torch.zeros(1, 1, 8, 8))
        print(f"digits MLP (64-2048-2048-10, test accuracy {accuracy:.3f}), ONNX Runtime, 1 model thread; "
              f"open-loop Poisson load from this process; p99 bound {args.p99_ms:.0f} ms")
        best = {}
        for name, policy in (("batch-1 (no batching)", NoBatching()), ("dynamic batching (32, 2 ms)", DynamicBatching(32, 0.002))):
            print(f"  {name}:")
            with ServerProcess(folder, policies={"digits": policy}) as server:
                run_load(server.url, "digits", x, clients=8, duration=0.5)  # warm up
                best[name] = peak(server, x, args.p99_ms, args.probe)
                if name.startswith("dynamic") and best[name] is not None:
                    rate = best[name][0]
                    print(f"  (b) sustained: {rate:.0f} req/s offered for {args.duration:.0f} s, 10% malformed:", flush=True)
                    s = probe(server, x, rate, args.duration, seed=99, malformed=0.1)
        (b1, s1), (bd, sd) = best["batch-1 (no batching)"], best["dynamic batching (32, 2 ms)"]
        print(f"(a) highest throughput with p99 <= {args.p99_ms:.0f} ms: batch-1 {s1['throughput_rps']:.0f} req/s "
              f"(p99 {s1['p99_ms']:.1f} ms), dynamic batching {sd['throughput_rps']:.0f} req/s (p99 {sd['p99_ms']:.1f} ms): "
              f"{sd['throughput_rps'] / s1['throughput_rps']:.2f}x (target >= 3x)")
        print(f"(b) {s['requests']} valid requests over {args.duration:.0f} s at {bd:.0f} req/s offered: served {s['throughput_rps']:.0f} req/s, "
              f"{s['failed']} failed (target 0), {s['malformed_refused']}/{s['malformed']} malformed refused with 400, "
              f"p50 {s['p50_ms']:.1f} ms, p99 {s['p99_ms']:.1f} ms")
        r = runtimes(model.eval(), folder, x_test, y_test)
        print(f"(c) ONNX Runtime int8 at batch 64: {r['int8_64']:.3f} ms against fp32 {r['fp32_64']:.3f} ms: "
              f"{r['fp32_64'] / r['int8_64']:.2f}x (target >= 1.5x), accuracy {r['accuracy']['int8']:.4f} against "
              f"{r['accuracy']['fp32']:.4f}; at batch 1 ONNX Runtime {r['ort_1']:.3f} ms against eager PyTorch "
              f"{r['eager_1']:.3f} ms: {r['eager_1'] / r['ort_1']:.2f}x (target >= 2x)")


if __name__ == "__main__":
    main()
