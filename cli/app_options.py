"""The app's own options (``promptcache [demo] [PATH] ...``): shared by ``main`` and by
``serve``, which checks the options it passes on to the app."""

from __future__ import annotations

import argparse
from pathlib import Path

from promptcache.workloads import WORKLOADS

from .args import positive_float, positive_int, theme_name

DEMO_MEMORY_MB = 0.22
"""The demo's memory budget: small enough that memory evictions show next to size ones."""


DESCRIPTION = """\
Watch a prompt-component cache live and debug component templates.

  promptcache              the bundled sample components
  promptcache PATH         your own component folder
  promptcache demo [PATH]  with synthetic traffic already running
  promptcache --dialects   the bundled Jinja2, Mustache/Handlebars and Prompty samples

Commands for scripts and CI (promptcache COMMAND --help for their options):

  promptcache render PATH  print one component rendered with its variables
  promptcache check [DIR]  list every component's placeholders and problems
  promptcache stats [DIR]  replay a workload or a trace through the cache
  promptcache race TRACE --size N   eviction policies and OPT on a trace

A running application's cache, and the app in a browser:

  promptcache attach [ADDRESS]  live panels for a cache served by promptcache.serve_stats
  promptcache serve [PATH]      this app over HTTP on localhost (textual-serve)

Many workers sharing one Redis or Valkey server:

  promptcache publish DIR redis://HOST:PORT/DB  upload the components (changed ones only)
  promptcache attach redis://HOST:PORT/DB       the fleet: workers, versions, hit ratio
"""


def build_parser(prog: str = "promptcache") -> argparse.ArgumentParser:
    """The command-line options of the app."""
    parser = argparse.ArgumentParser(
        prog=prog, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "path",
        nargs="?",
        type=Path,
        default=None,
        help="component folder (default: the bundled sample library)",
    )
    parser.add_argument(
        "--dialects",
        action="store_true",
        help="open the bundled Jinja2, Mustache/Handlebars and Prompty samples instead",
    )
    parser.add_argument(
        "--max-size",
        type=positive_int,
        default=100,
        metavar="N",
        help="most entries the cache keeps (default: 100)",
    )
    parser.add_argument(
        "--max-memory-mb",
        type=positive_float,
        default=None,
        metavar="MIB",
        help=f"memory budget in MiB (default: 50; {DEMO_MEMORY_MB} for demo, so that both "
        "limits come into play)",
    )
    parser.add_argument(
        "--hot-usage",
        type=Path,
        default=None,
        metavar="FILE",
        help="file where usage counts persist; preload (p) uses it",
    )
    parser.add_argument(
        "--refresh",
        type=positive_float,
        default=0.5,
        metavar="SECONDS",
        help="how often the panels refresh (default: 0.5)",
    )
    parser.add_argument(
        "--export-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where e (export) writes files (default: current folder)",
    )
    parser.add_argument(
        "--theme",
        type=theme_name,
        default=None,
        metavar="NAME",
        help="a Textual theme, e.g. textual-light or nord (default: textual-dark; "
        "ctrl+p, then 'theme', switches it live)",
    )
    demo = parser.add_argument_group("demo traffic (promptcache demo)")
    demo.add_argument(
        "--workload", choices=WORKLOADS, default="zipf", help="request pattern (default: zipf)"
    )
    demo.add_argument(
        "--rate",
        type=positive_int,
        default=2000,
        metavar="N",
        help="requests per second (default: 2000)",
    )
    demo.add_argument(
        "--skew",
        type=positive_float,
        default=1.1,
        help="Zipf skew; higher is more concentrated (default: 1.1)",
    )
    return parser
