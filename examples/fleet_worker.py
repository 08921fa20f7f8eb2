"""An example worker of a fleet: renders components published to Redis or Valkey.

Start several of them (on one machine or many) against the same server and namespace;
``promptcache publish`` a change and each prints the new version as it picks it up, and
``promptcache attach redis://...`` shows them all. Each also serves its cache's stats on a
unix socket of its own, whose address its heartbeat carries.

    python examples/fleet_worker.py redis://127.0.0.1:6390/0 --namespace demo
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from types import FrameType

from promptcache import CachedComponentLoader, ComponentCache, ComponentError, serve_stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="redis://[USER:PASSWORD@]HOST:PORT/DB")
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--rate", type=float, default=50.0, help="requests per second")
    parser.add_argument("--watch", default=None, help="print this component at each version")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    cache = ComponentCache(max_size=100)
    stats = serve_stats(cache)
    loader = CachedComponentLoader(
        args.url, cache, namespace=args.namespace, stats_address=str(stats.address)
    )
    stats.loader = loader  # its stale flag then shows when you attach to this worker
    running = True

    def stop(_signum: int, _frame: FrameType | None) -> None:
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    version = -1
    users = ["ada", "bo", "cy", "dee"]
    n = 0
    try:
        while running:
            try:
                paths = loader.component_paths()
            except ComponentError:  # nothing published yet, or the server is down
                paths = []
            if loader.version != version:
                version = loader.version
                watched = args.watch or (paths[0] if paths else None)
                first = loader.load_component(watched).splitlines()[0] if watched else "-"
                print(f"version {version}: {len(paths)} components; {watched}: {first}")
                sys.stdout.flush()
            for path in paths[:20]:
                try:
                    loader.load_component(path, {"user": users[n % len(users)]})
                except ComponentError as exc:
                    print(f"error: {exc}", file=sys.stderr)
                n += 1
            time.sleep(1 / args.rate)
    finally:
        loader.close()
        stats.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
