"""The Makefile's set-up: refuses old Pythons with the fix, and re-installs only when pyproject.toml changes."""

import os
import shutil
import subprocess
import time


def project_copy(tmp_path, repo):
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(repo / name, tmp_path / name)
    return tmp_path


def test_old_python_is_refused_with_the_fix_and_nothing_is_made(tmp_path, repo):
    root = project_copy(tmp_path, repo)
    old = root / "python3.9"
    # Stands in for an interpreter older than 3.10: fails the version test, reports an old version.
    old.write_text("#!/bin/sh\n[ \"$1\" = --version ] && echo 'Python 3.9.18' && exit 0\nexit 1\n")
    old.chmod(0o755)
    r = subprocess.run(["make", "setup", f"PYTHON={old}"], cwd=root, capture_output=True, text=True)
    assert r.returncode != 0
    assert "needs Python 3.10 or newer" in r.stderr and "Python 3.9.18" in r.stderr and "environment.yml" in r.stderr
    assert not (root / ".venv").exists()


def test_setup_is_skipped_until_pyproject_changes(tmp_path, repo):
    root = project_copy(tmp_path, repo)
    (root / ".venv").mkdir()
    stamp = root / ".venv" / ".installed"
    stamp.touch()
    past = time.time() - 100
    os.utime(root / "pyproject.toml", (past, past))
    assert subprocess.run(["make", "-q", "setup"], cwd=root).returncode == 0
    os.utime(root / "pyproject.toml", None)
    os.utime(stamp, (past, past))
    assert subprocess.run(["make", "-q", "setup"], cwd=root).returncode == 1
