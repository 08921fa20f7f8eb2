"""The rendered output, the raw template and the diagnostics of the open component."""

from __future__ import annotations

import re

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static, TabbedContent, TabPane

from promptcache.template import PLACEHOLDER, find_malformed
from promptcache.tui.render_result import RenderResult
from promptcache.tui.themed import ACCENT, BAD, GOOD, MARK, MUTED, WARN, themed


def rendered_text(result: RenderResult) -> Text:
    """The output with each still-missing ``{variable}`` highlighted."""
    text = Text(result.content or "")
    if result.diagnostics:
        for name in result.diagnostics.missing:
            text.highlight_regex(re.escape("{" + name + "}"), MARK)
    return text


def template_text(template: str) -> Text:
    """The template with placeholders in colour and malformed ones underlined in red."""
    text = Text(template)
    text.highlight_regex(PLACEHOLDER, f"bold {ACCENT}")
    lines = template.split("\n")
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    for bad in find_malformed(template):
        start = starts[bad.line - 1] + bad.column - 1
        text.stylize(f"bold underline {BAD}", start, start + len(bad.text))
    return text


def diagnostics_text(result: RenderResult) -> Text:
    """Every placeholder with its state, unused variables, malformed placeholders."""
    out = Text()
    if result.error:
        out.append("✖ ", f"bold {BAD}")
        out.append(result.error + "\n", BAD)
    diag = result.diagnostics
    if diag is None:
        return out
    if not diag.placeholders:
        out.append("No placeholders.\n", MUTED)
    for name in diag.placeholders:
        if name in diag.missing:
            out.append("  ● ", WARN)
            out.append(name, "bold")
            out.append("  missing: stays as {" + name + "} in the output\n", WARN)
        else:
            out.append("  ✔ ", GOOD)
            out.append(name, "bold")
            out.append(f" = {result.context.get(name, '')!r}\n"[:120], MUTED)
    for name in diag.unused:
        out.append(f"  ○ {name}", "bold")
        out.append("  given but not used by this template\n", MUTED)
    for bad in diag.malformed:
        out.append("  ✖ ", BAD)
        out.append(f"line {bad.line}:{bad.column} ", "bold")
        out.append(f"{bad.text!r}  {bad.problem}\n", BAD)
    if diag.ok and not diag.unused:
        out.append("\nAll placeholders filled; nothing malformed.\n", GOOD)
    return out


INTRO = Text.assemble(
    ("Component browser\n\n", "bold"),
    "Pick a file in the tree. It is loaded through the cache, so it shows up as traffic. ",
    "Fill its variables above: each edit renders again, and the line on top says whether ",
    "the cache served it (HIT) or read the file (MISS).\n\n",
    ("Rendered", "bold"),
    " shows the output, with variables still missing ",
    ("{highlighted}", MARK),
    ".\n",
    ("Template", "bold"),
    " shows the raw file with its placeholders in colour.\n",
    ("Diagnostics", "bold"),
    " lists missing, unused and malformed placeholders.",
)


NO_CHANGES = Text(
    "When the open component changes on disk, what changed in its rendered output shows here.",
    MUTED,
)


def changes_text(lines: list[str]) -> Text:
    """A unified diff, coloured: additions green, removals red, hunks cyan."""
    if not lines:
        return Text("The file changed on disk, but its rendered output is the same.", MUTED)
    text = Text()
    for line in lines:
        if line.startswith(("+++", "---")):
            style = "bold"
        elif line.startswith("@@"):
            style = ACCENT
        elif line.startswith("+"):
            style = GOOD
        elif line.startswith("-"):
            style = BAD
        else:
            style = MUTED
        text.append(line + "\n", style)
    return text


class RenderPreview(Vertical):
    """Tabs: Rendered, Template, Diagnostics."""

    DEFAULT_CSS = """
    RenderPreview {
        height: 1fr;
    }
    RenderPreview #preview-tabs, RenderPreview #preview-tabs > ContentSwitcher {
        height: 1fr;
    }
    RenderPreview .preview-body {
        width: 100%;
    }
    """

    def compose(self) -> ComposeResult:
        with TabbedContent(id="preview-tabs"):
            with TabPane("Rendered", id="tab-rendered"), VerticalScroll():
                yield Static(themed(INTRO), id="rendered-body", classes="preview-body")
            with TabPane("Template", id="tab-template"), VerticalScroll():
                yield Static("", id="template-body", classes="preview-body")
            with TabPane("Diagnostics", id="tab-diagnostics"), VerticalScroll():
                yield Static("", id="diagnostics-body", classes="preview-body")
            with TabPane("Changes", id="tab-changes"), VerticalScroll():
                yield Static(themed(NO_CHANGES), id="changes-body", classes="preview-body")

    def show(self, result: RenderResult) -> None:
        """Fill the three tabs from ``result``."""
        diagnostics = diagnostics_text(result)
        if result.error:
            self.query_one("#rendered-body", Static).update(themed(diagnostics))
        else:
            self.query_one("#rendered-body", Static).update(themed(rendered_text(result)))
        template = result.template
        self.query_one("#template-body", Static).update(
            themed(
                template_text(template) if template is not None else Text("(not readable)", MUTED)
            )
        )
        self.query_one("#diagnostics-body", Static).update(themed(diagnostics))
        diag = result.diagnostics
        problems = (len(diag.missing) + len(diag.malformed)) if diag else 0
        label = (
            "Diagnostics" if not (problems or result.error) else f"Diagnostics ({problems or '!'})"
        )
        tabs = self.query_one(TabbedContent)
        tabs.get_tab("tab-diagnostics").label = label

    def show_changes(self, lines: list[str] | None) -> None:
        """Show the diff of the last change on disk (None: no change seen yet)."""
        body = self.query_one("#changes-body", Static)
        tab = self.query_one(TabbedContent).get_tab("tab-changes")
        if lines is None:
            body.update(themed(NO_CHANGES))
            tab.label = "Changes"
            return
        added = sum(1 for x in lines if x.startswith("+") and not x.startswith("+++"))
        removed = sum(1 for x in lines if x.startswith("-") and not x.startswith("---"))
        body.update(themed(changes_text(lines)))
        tab.label = f"Changes (+{added} −{removed})"
