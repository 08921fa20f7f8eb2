"""The browser on Jinja2/Mustache/Prompty components: inputs, model, include tree, reloads."""

from __future__ import annotations

import shutil
from pathlib import Path

from textual.widgets import Input, Static

from promptcache.tui import DIALECT_LIBRARY
from promptcache.tui.folder_watcher import FolderChanges
from promptcache.tui.render_result import render_component
from promptcache.tui.scenes import open_component, scene_app, settle
from promptcache.tui.widgets.frontmatter_panel import frontmatter_text
from promptcache.tui.widgets.include_tree import IncludeTree
from promptcache.tui.widgets.variable_form import input_id


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "dialects"
    shutil.copytree(DIALECT_LIBRARY, folder)
    return folder


def test_declared_defaults_fill_the_form_and_the_panel_shows_inputs_and_model() -> None:
    app = scene_app(folder=DIALECT_LIBRARY)
    result = render_component(app.loader, "prompty/summarize.prompty", {"text": "Q3 plan"})
    assert result.error is None
    assert result.context == {"audience": "a busy executive", "bullets": "3", "text": "Q3 plan"}
    assert result.content is not None and "for a busy executive in 3 bullet" in result.content
    assert result.tokens is not None and result.tokens.exact
    assert result.report is not None
    panel = frontmatter_text(result.report).plain
    assert "audience = a busy executive" in panel and "text  required" in panel
    assert "configuration.name: gpt-4o-mini" in panel and "parameters.temperature: 0.2" in panel


def test_a_partial_knows_who_includes_it() -> None:
    app = scene_app(folder=DIALECT_LIBRARY)
    result = render_component(app.loader, "mustache/signature.hbs", {"product": "Atlas"})
    assert result.content == "-- The Atlas team\n"
    assert result.included_by == ("mustache/onboarding.hbs",)


async def test_editing_an_include_rerenders_the_open_component_with_a_diff(
    tmp_path: Path,
) -> None:
    folder = _copy(tmp_path)
    app = scene_app(folder=folder)
    async with app.run_test(size=(110, 36)) as pilot:
        await settle(pilot)
        await open_component(
            pilot, "jinja/support-reply.j2", product="Atlas", tone="warm",
            **{"customer.name": "Ada", "ticket.subject": "Refund", "ticket.urgent": ""},
        )  # fmt: skip
        tree = app.query_one(IncludeTree)
        labels = [str(node.label) for node in tree.root.children[0].children]
        assert labels == ["jinja/partials/persona.j2", "jinja/partials/policy.j2"]
        assert app.query_one(f"#{input_id('customer.name')}", Input).value == "Ada"
        policy = folder / "jinja/partials/policy.j2"
        policy.write_text("Refunds are fine up to 30 days.\n", encoding="utf-8")
        app.apply_folder_changes(
            FolderChanges(frozenset(), frozenset({"jinja/partials/policy.j2"}), frozenset())
        )
        await settle(pilot)
        rendered = str(app.query_one("#rendered-body", Static).render())
        assert "Refunds are fine up to 30 days." in rendered
        changes = str(app.query_one("#changes-body", Static).render())
        assert "+Refunds are fine up to 30 days." in changes
        assert "-Never promise refunds" in changes
