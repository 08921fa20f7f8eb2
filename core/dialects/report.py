"""Everything known about one component: dialect, inputs, includes, variables, problems."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .base import (
    BRACE,
    Diagnostic,
    Severity,
    SourceFile,
    TemplateError,
    VariableUse,
    lookup,
)
from .frontmatter import Frontmatter
from .templates import IncludeWalk, Templates

UNUSED_INPUT = "unused_input"
UNDECLARED = "undeclared_variable"
MISSING = "missing_variable"
UNUSED_VALUE = "unused_value"
SANDBOX = "sandbox"
RENDER_FAILED = "render_failed"
_WHERE = re.compile(r"^[^\s:]+(:\d+){0,2}: ")


@dataclass(frozen=True, slots=True)
class ComponentReport:
    """A component as ``check``, ``render`` and the browser see it."""

    source: SourceFile
    walk: IncludeWalk
    variables: tuple[VariableUse, ...]
    """Every variable read, through includes (each path once, first use)."""
    problems: tuple[Diagnostic, ...]

    @property
    def dialect(self) -> str:
        """``brace``, ``jinja2`` or ``mustache``."""
        return self.source.dialect

    @property
    def frontmatter(self) -> Frontmatter | None:
        """The parsed frontmatter, if the file has one."""
        return self.source.frontmatter

    @property
    def names(self) -> tuple[str, ...]:
        """Root variable names a context should give, in order of first use."""
        return tuple(dict.fromkeys(v.root for v in self.variables if v.top_level))

    @property
    def paths(self) -> tuple[str, ...]:
        """Variable paths (``user.name``), in order of first use."""
        return tuple(dict.fromkeys(v.path for v in self.variables))

    @property
    def includes(self) -> tuple[str, ...]:
        """What the component includes directly."""
        return self.walk.edges.get(self.source.path, ())

    @property
    def errors(self) -> int:
        """How many problems are errors."""
        return sum(1 for p in self.problems if p.severity == "error")


def _declared_line(source: SourceFile, name: str) -> int:
    lines = source.text.splitlines()[: max(source.body_line - 1, 0)]
    pattern = re.compile(rf"(^|[\s\-\[{{,]){re.escape(name)}\??\s*(:|,|\]|$)")
    for number, line in enumerate(lines, start=1):
        if number > 1 and pattern.search(line):
            return number
    return 1


def build_report(
    templates: Templates,
    source: SourceFile,
    *,
    context: Mapping[str, Any] | None = None,
    variable_sets: Mapping[str, Mapping[str, Any]] | None = None,
    given: Sequence[str] = (),
) -> ComponentReport:
    """Analyse ``source`` through its includes; with ``context``, name missing variables
    and unused ``given`` values; with ``variable_sets``, do a strict render per set."""
    problems: list[Diagnostic] = list(source.problems)
    if any(p.severity == "error" for p in problems):  # the body cannot be read right
        return ComponentReport(source, IncludeWalk({}, (), {}), (), tuple(problems))
    analysis = templates.analyze(source)
    problems.extend(analysis.problems)
    walk = templates.walk(source, analysis)
    problems.extend(walk.problems)
    seen: dict[str, VariableUse] = {}
    for file, (_src, file_analysis) in walk.analyses.items():
        for use in file_analysis.variables:
            if use.path not in seen:
                seen[use.path] = use if file == source.path else replace(use, file=file)
    variables = tuple(seen.values())
    roots = {v.root for v in variables}
    fm = source.frontmatter
    defaults = fm.defaults if fm is not None else {}
    if fm is not None and fm.inputs and not any(p.severity == "error" for p in problems):
        declared = {i.name for i in fm.inputs}
        for item in fm.inputs:
            if item.name not in roots:
                problems.append(
                    Diagnostic(
                        "warning",
                        UNUSED_INPUT,
                        f"declared input {item.name!r} is never used",
                        _declared_line(source, item.name),
                        1,
                        source.path,
                    )
                )
        for use in variables:
            if use.top_level and use.root not in declared:
                problems.append(
                    Diagnostic(
                        "warning",
                        UNDECLARED,
                        f"variable {use.path!r} is used but not declared in the inputs",
                        use.line,
                        use.column,
                        use.file or source.path,
                    )
                )
    if context is not None and source.dialect != BRACE:
        values = {**defaults, **context}
        for use in variables:
            if use.top_level and not lookup(values, use.path) and use.root not in values:
                problems.append(
                    Diagnostic(
                        "warning", MISSING, f"missing variable {use.path}",
                        use.line, use.column, use.file or source.path,
                    )
                )  # fmt: skip
        for name in given:
            if name.split(".", 1)[0] not in roots:
                problems.append(
                    Diagnostic("warning", UNUSED_VALUE, f"-v {name} is not used", None, None,
                               source.path)
                )  # fmt: skip
    errors = any(p.severity == "error" for p in problems)
    if variable_sets and source.dialect != BRACE and not errors:
        rendered = any(a.needs_render for _s, a in walk.analyses.values())
        if rendered:
            problems.extend(_render_sets(templates, source, variable_sets))
        else:  # no control flow: what a strict render would say, without rendering
            for set_name, set_values in variable_sets.items():
                for use in variables:
                    if not use.top_level:
                        continue
                    if lookup({**defaults, **set_values}, use.path):
                        continue
                    problems.append(
                        Diagnostic(
                            "warning",
                            MISSING,
                            f"undefined variable {use.path} (set {set_name!r})",
                            use.line,
                            use.column,
                            use.file or source.path,
                        )
                    )
    problems.sort(key=lambda p: (p.path != source.path, p.path, p.line or 0, p.column or 0))
    return ComponentReport(source, walk, variables, tuple(dict.fromkeys(problems)))


def _render_sets(
    templates: Templates, source: SourceFile, variable_sets: Mapping[str, Mapping[str, Any]]
) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    try:
        compiled = templates.compile(source)
    except TemplateError:
        return found  # already reported by the analysis
    for set_name, values in variable_sets.items():
        try:
            templates.render(compiled, values)
        except TemplateError as exc:
            kind = {"MissingVariableError": MISSING, "SandboxViolationError": SANDBOX}.get(
                type(exc).__name__, RENDER_FAILED
            )
            message = _WHERE.sub("", str(exc), count=1)
            severity: Severity = "warning" if kind == MISSING else "error"
            found.append(
                Diagnostic(
                    severity,
                    kind,
                    f"{message} (set {set_name!r})",
                    exc.line,
                    exc.column,
                    exc.path or source.path,
                )
            )
    return found
