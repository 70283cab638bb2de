"""A trace-driven, event-driven simulator of a multi-tenant GPU cluster, for writing and comparing schedulers."""

from aisys.scheduling.cluster import Cluster
from aisys.scheduling.metrics import Result, jain
from aisys.scheduling.placement import worst_fit
from aisys.scheduling.policies import FIFO, load_policy
from aisys.scheduling.simulator import DurationHidden, JobView, Policy, PolicyError, Simulator, simulate
from aisys.scheduling.trace import Job, TraceError, load_csv, load_philly, save_csv, shipped, synthetic

__all__ = ["Cluster", "DurationHidden", "FIFO", "Job", "JobView", "Policy", "PolicyError", "Result", "Simulator",
           "TraceError", "jain", "load_csv", "load_philly", "load_policy", "save_csv", "shipped", "simulate", "synthetic", "worst_fit"]
