"""A worker process for the fleet tests: loads one component in a loop and reports.

Usage: python fleet_worker.py URL NAMESPACE COMPONENT SECONDS. Prints ``ready`` after its
first load and runs until its standard input closes (or SECONDS pass), then prints one
JSON line: when each manifest switch dropped its cached
entry (monotonic time, version) and, per content served, when the last load returning it
started.
"""

from __future__ import annotations

import sys
import threading
import time

import orjson

from promptcache import CachedComponentLoader, CacheEvent, ComponentCache
from promptcache.fleet import RemoteComponentLoader


def main() -> None:
    url, namespace, component, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    cache = ComponentCache(max_size=10)
    loader = CachedComponentLoader(url, cache, namespace=namespace, heartbeat_s=0.2)
    assert isinstance(loader, RemoteComponentLoader)
    drops: list[tuple[float, int]] = []

    def on_invalidate(event: CacheEvent) -> None:
        if event.reason == "published":
            drops.append((time.monotonic(), loader.version))

    cache.add_listener(on_invalidate, kinds=["invalidate"])
    last_start: dict[str, float] = {}
    errors: list[str] = []
    loads = 0
    loader.load_component(component)
    print("ready", flush=True)
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    deadline = time.monotonic() + seconds
    while (started := time.monotonic()) < deadline and not stop.is_set():
        try:
            last_start[loader.load_component(component)] = started
            loads += 1
        except Exception as exc:
            errors.append(repr(exc))
        time.sleep(0.001)
    loader.close()
    print(orjson.dumps({"drops": drops, "last_start": last_start, "errors": errors,
                        "loads": loads}).decode(), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
