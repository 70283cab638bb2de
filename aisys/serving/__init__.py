"""A small model server speaking the Open Inference Protocol (KServe v2 REST), its batching policies, schedulers and a load generator."""

from aisys.serving.batching import BatchPolicy, Decision, DynamicBatching, NoBatching
from aisys.serving.load import LoadResult, infer_url, poisson_schedule, run_load
from aisys.serving.models import (Repository, digits_mlp, example_repository, export, ort_session, save_version,
                                  train_digits)
from aisys.serving.process import ServerProcess
from aisys.serving.rollout import Window, run_canary
from aisys.serving.scheduling import FirstCome, Job, Replay, Scheduler, Stream, simulate, simulate_models
from aisys.serving.tensors import InferError, output_array, request_json

__all__ = ["BatchPolicy", "Decision", "DynamicBatching", "FirstCome", "InferError", "Job", "LoadResult", "NoBatching", "Replay",
           "Repository", "Scheduler", "ServerProcess", "Stream", "Window", "digits_mlp", "example_repository", "export",
           "infer_url", "ort_session", "output_array", "poisson_schedule", "request_json", "run_canary", "run_load",
           "save_version", "simulate", "simulate_models", "train_digits"]
