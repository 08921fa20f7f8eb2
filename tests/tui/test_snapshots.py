"""Pictures of every scene in tui/scenes.py: panels, states, sizes and dialogs.

Update with ``pytest tests/tui/test_snapshots.py --snapshot-update`` only after looking at
the new SVGs (``screenshots/make_screenshots.py`` writes the same states as files).
"""

from __future__ import annotations

from typing import Any

import pytest

from promptcache.tui.scenes import SCENES


@pytest.mark.parametrize("name", list(SCENES))
def test_scene(name: str, snap_compare: Any) -> None:
    scene = SCENES[name]
    assert snap_compare(scene.app(), terminal_size=scene.size, run_before=scene.run_before)
