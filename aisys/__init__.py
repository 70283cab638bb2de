"""aisys: helpers for the AI-systems workbook (setup, environment, timing, data, training, plots)."""

__all__ = ["setup", "env_report"]
__version__ = "0.1.0"


def __getattr__(name):
    """setup and env_report, imported on first use: `import aisys.protocol` (the grader's) stays torch-free."""
    if name == "setup":
        from aisys.runtime import setup

        return setup
    if name == "env_report":
        from aisys.envinfo import env_report

        return env_report
    raise AttributeError(f"module 'aisys' has no attribute {name!r}")
