"""Shared set-up for the app's tests: UTC times, so event logs draw the same everywhere."""

from __future__ import annotations

import os
import time

os.environ["TZ"] = "UTC"
time.tzset()
