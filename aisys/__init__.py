"""aisys: helpers for the AI-systems workbook (setup, environment, timing, data, training, plots)."""

from aisys.envinfo import env_report
from aisys.runtime import setup

__all__ = ["setup", "env_report"]
__version__ = "0.1.0"
