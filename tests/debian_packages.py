"""Install what a test needs from Debian's packages when the machine lacks it.

The tests run as root on Debian machines (CI included) that reach the package registries,
so a test that needs a real browser or server installs it rather than skipping.
"""

from __future__ import annotations

import os
import shutil
import subprocess


def ensure_command(command: str, package: str, *, path: str | None = None) -> str:
    """The path of ``command``, after ``apt-get install package`` if it is missing."""
    found = shutil.which(command, path=path)
    if found is not None:
        return found
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", package]
    if subprocess.run(install, env=env, capture_output=True, timeout=900).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=600)
        done = subprocess.run(install, env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, f"apt-get install {package} failed: {done.stderr[-500:]}"
    found = shutil.which(command, path=path)
    assert found is not None, f"apt-get installed {package} but {command} is not on PATH"
    return found
