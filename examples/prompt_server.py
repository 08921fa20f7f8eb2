"""An example application: a prompt-serving loop with the stats server on.

It renders components from a folder at a steady rate, with varied contexts, through a
ComponentCache, and serves the cache's stats so that ``promptcache attach`` can watch it
live. Ctrl+C or SIGTERM stops it cleanly (the socket file is removed).

    python examples/prompt_server.py                       # unix:DEFAULT, sample library
    python examples/prompt_server.py --address tcp:127.0.0.1:8765 --token-file token.txt
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from promptcache import (
    CachedComponentLoader,
    CachePerformanceMonitor,
    ComponentCache,
    ComponentError,
    serve_stats,
)
from promptcache.tui import SAMPLE_LIBRARY
from promptcache.workloads import generate, request_universe

log = logging.getLogger("prompt_server")

TICK_S = 0.05
"""Longest sleep of the request loop: a stop request is seen within this time."""


class StopRequest:
    """Set by the SIGTERM/SIGINT handler, read by the request loop.

    A plain attribute, not a ``threading.Event``: a signal handler runs in the main thread
    between two bytecodes, and ``Event.set()`` there blocks for ever when the signal lands
    while the main thread's own ``Event.wait()`` holds the Event's lock.
    """

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, _signum: int, _frame: FrameType | None) -> None:
        self.requested = True


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=SAMPLE_LIBRARY, help="component folder")
    parser.add_argument("--address", default="unix:DEFAULT", help="unix:PATH or tcp:HOST:PORT")
    parser.add_argument("--token-file", type=Path, default=None, help="TCP token, first line")
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--allow-control", action="store_true", help="allow clear/evict/resize")
    parser.add_argument("--duration", type=float, default=None, help="seconds (default: forever)")
    args = parser.parse_args(argv)
    if args.rate <= 0:
        parser.error("--rate must be above 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    stop = StopRequest()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    try:
        cache = ComponentCache(max_size=100, max_memory_mb=50)
        loader = CachedComponentLoader(args.folder, cache)
    except ComponentError as exc:
        print(f"prompt_server: {exc}", file=sys.stderr)
        return 2
    with loader:
        paths = loader.component_paths()
        if not paths:
            print(f"prompt_server: {args.folder}: no components", file=sys.stderr)
            return 2
        monitor = CachePerformanceMonitor(cache)
        try:
            server = serve_stats(
                cache,
                args.address,
                monitor=monitor,
                token_file=args.token_file,
                allow_control=args.allow_control,
                folder=loader.base_path,
                components=paths,
            )
        except ComponentError as exc:
            print(f"prompt_server: {exc}", file=sys.stderr)
            return 2
        with server:
            print(f"serving stats on {server.address}")
            if server.token is not None and args.token_file is None:
                print(f"token: {server.token}")
            sys.stdout.flush()
            serve_requests(loader, paths, args.rate, args.duration, stop)
    return 0


def serve_requests(
    loader: CachedComponentLoader,
    paths: list[str],
    rate: float,
    duration: float | None,
    stop: StopRequest,
) -> None:
    """Render Zipf-distributed (component, context) requests at ``rate`` per second."""
    requests = generate(request_universe(paths), "zipf", skew=1.1)
    started = time.monotonic()
    done = failed = 0
    while not stop.requested:
        elapsed = time.monotonic() - started
        if duration is not None and elapsed >= duration:
            break
        due = int(elapsed * rate) + 1
        while done < due and not stop.requested:
            request = next(requests)
            try:
                loader.load_component(request.path, request.context)
            except ComponentError as exc:  # a broken component fails its request only
                failed += 1
                log.debug("%s", exc)
            done += 1
        time.sleep(min(TICK_S, max(0.0, (done / rate) - (time.monotonic() - started))))
    log.info("served %d requests (%d failed)", done, failed)


if __name__ == "__main__":
    sys.exit(main())
