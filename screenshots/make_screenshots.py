"""Write an SVG screenshot of every scene in ``tui.scenes`` to this folder.

Run from the repository root:  python screenshots/make_screenshots.py [NAME ...]
The pictures come from the same reproducible states as the snapshot tests.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


async def shoot(name: str) -> Path:
    from promptcache.tui.scenes import SCENES

    scene = SCENES[name]
    app = scene.app()
    async with app.run_test(size=scene.size) as pilot:
        await scene.run_before(pilot)
        path = HERE / f"{name}.svg"
        app.save_screenshot(filename=path.name, path=str(HERE))
    return path


def main(names: list[str]) -> int:
    os.environ["TZ"] = "UTC"
    time.tzset()
    sys.path.insert(0, str(HERE.parent))
    from promptcache.tui.scenes import SCENES

    unknown = [n for n in names if n not in SCENES]
    if unknown:
        print(
            f"unknown scene(s): {', '.join(unknown)}; known: {', '.join(SCENES)}", file=sys.stderr
        )
        return 2
    for name in names or list(SCENES):
        print(asyncio.run(shoot(name)).relative_to(HERE.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
