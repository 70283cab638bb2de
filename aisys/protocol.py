"""The check protocol shared by the checks in a kernel and the grader outside it (torch-free on purpose)."""

import json
import re

SEED_VARIABLE = "AISYS_CHECK_SEED"  # the grading seed hidden inputs are drawn from, set by the grader per run
PASS, FAIL = "PASS", "FAIL"
HINT = "  hint: "
VERDICT = re.compile(r"^(PASS|FAIL) \[([a-z0-9][a-z0-9_-]*)\] ")


def verdict_line(status, check_id, description, hint=None, fingerprint=None):
    """The text a check prints: one verdict line, then the hint line of a failure."""
    line = f"{status} [{check_id}] {description}"
    if fingerprint is not None:
        line += f" (fingerprint {fingerprint})"
    return line if hint is None else f"{line}\n{HINT}{hint}"


def parse(text):
    """(status, check id, hint) of the first verdict in a check cell's output, or None when it printed none."""
    lines = text.splitlines()
    for n, line in enumerate(lines):
        m = VERDICT.match(line)
        if m:
            hints = [l.strip()[len(HINT.strip()) + 1:] for l in lines[n + 1:] if l.startswith(HINT)]
            return m.group(1), m.group(2), " ".join(hints)
    return None


ENVIRONMENT = "aisys grading environment: "  # the first line a graded kernel prints: where the notebook ran


def environment_line(info):
    """The line a graded kernel prints about its device and versions."""
    return ENVIRONMENT + json.dumps(info, sort_keys=True)


def parse_environment(text):
    """The {item: value} a graded kernel printed about itself, or {} when it printed nothing."""
    for line in text.splitlines():
        if line.startswith(ENVIRONMENT):
            return json.loads(line[len(ENVIRONMENT):])
    return {}
