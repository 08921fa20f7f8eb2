"""``promptcache publish DIR URL``: upload a component folder to Redis or Valkey."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from promptcache.errors import PromptCacheError

PUBLISH_HELP = """\
Upload the components of DIR to a Redis or Valkey server, where every worker built with
CachedComponentLoader("redis://...", cache, namespace=NS) loads them. Only changed files
are sent; the switch to the new set is atomic, and connected workers drop what changed.

  promptcache publish prompts/ redis://127.0.0.1:6379/0
  promptcache publish prompts/ rediss://app:PASSWORD@cache.internal:6380/0 --namespace billing
  promptcache publish prompts/ redis://127.0.0.1:6379/0 --dry-run

A password may also come from PROMPTCACHE_REDIS_PASSWORD, to keep it out of the shell
history; it is never printed.
"""


def build_parser() -> argparse.ArgumentParser:
    """The options of ``promptcache publish``."""
    parser = argparse.ArgumentParser(
        prog="promptcache publish",
        description=PUBLISH_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("folder", type=Path, metavar="DIR", help="the component folder")
    parser.add_argument("url", metavar="URL", help="redis://[USER:PASSWORD@]HOST:PORT/DB")
    parser.add_argument(
        "--namespace", default="default", metavar="NS",
        help="which published set to replace (default: default)",
    )  # fmt: skip
    parser.add_argument(
        "--dry-run", action="store_true", help="show what would change, write nothing"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser


def with_env_password(url: str) -> str:
    """``url`` with PROMPTCACHE_REDIS_PASSWORD inserted when the URL has no password."""
    import os
    from urllib.parse import quote, urlsplit

    password = os.environ.get("PROMPTCACHE_REDIS_PASSWORD")
    parts = urlsplit(url)
    if not password or parts.password is not None or "://" not in url:
        return url
    user = parts.username or ""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{user}:{quote(password, safe='')}@{rest.rpartition('@')[2]}"


def fail(message: str) -> int:
    """One line ``promptcache publish: error: ...`` on stderr; exit status 2."""
    sys.stderr.write(f"promptcache publish: error: {' '.join(message.split())}\n")
    return 2


def publish_command(argv: Sequence[str]) -> int:
    """``promptcache publish DIR URL [--namespace NS] [--dry-run] [--json]``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        from promptcache.fleet import publish

        report = publish(
            args.folder,
            with_env_password(args.url),
            namespace=args.namespace,
            dry_run=args.dry_run,
        )
    except PromptCacheError as exc:
        return fail(str(exc))
    except OSError as exc:
        return fail(f"{exc.filename or args.folder}: {exc.strerror or exc}")
    if args.json:
        print(json.dumps({
            "namespace": report.namespace, "address": report.address,
            "dry_run": report.dry_run, "version_before": report.version_before,
            "version": report.version, "added": report.added, "changed": report.changed,
            "removed": report.removed, "unchanged": report.unchanged,
            "bytes_sent": report.bytes_sent, "seconds": round(report.seconds, 4),
            "template_format_changed": report.template_format_changed,
        }, indent=2))  # fmt: skip
        return 0
    lines = [f"  added    {p}" for p in report.added]
    lines += [f"  changed  {p}" for p in report.changed]
    lines += [f"  removed  {p}" for p in report.removed]
    if report.template_format_changed:
        lines.append("  changed  the folder default template_format (.promptcache.toml)")
    where = f"{report.address} namespace {report.namespace!r}"
    if not report.touched:
        summary = f"nothing changed: {where} stays at version {report.version}"
    elif report.dry_run:
        summary = (
            f"dry run: would publish version {report.version_before + 1} to {where}; "
            "nothing written"
        )
    else:
        summary = (
            f"published version {report.version} to {where}: {report.bytes_sent:,} bytes "
            f"in {report.seconds * 1000:.0f} ms"
        )
    counts = (
        f"{len(report.added)} added, {len(report.changed)} changed, "
        f"{len(report.removed)} removed, {report.unchanged} unchanged"
    )
    sys.stdout.write("\n".join([*lines, f"{summary} ({counts})"]) + "\n")
    return 0
