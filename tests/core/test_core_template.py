"""Defect 9: any context value renders with str(), in one pass, like the original replace."""

from __future__ import annotations

from typing import Any

import pytest
from core_testlib import LoaderFactory, WriteFn

from promptcache import diagnose, placeholders, render


def original_render(template: str, context: dict[str, Any]) -> str:
    """The original design's substitution: one str.replace per variable, in order."""
    for key, value in context.items():
        template = template.replace(f"{{{key}}}", str(value))
    return template


SIMPLE_CASES: list[tuple[str, dict[str, Any]]] = [
    ("Hello {name}!", {"name": "Ada"}),
    ("{a}{a}{a}", {"a": "x"}),
    ("{a} and {b}", {"a": 1, "b": 2.5}),
    ("{ab}{a}{abc}", {"a": "1", "ab": "2", "abc": "3"}),
    ("{a}{ab}", {"ab": "long", "a": "short"}),
    ("no placeholders here", {"a": "x"}),
    ("{missing} stays, {name} goes", {"name": "N"}),
    ('{"json": {"key": "{name}"}}', {"name": "value"}),
    ("{{name}} doubled", {"name": "N"}),
    ("{ name } with spaces", {"name": "N"}),
    ("{name", {"name": "N"}),
    ("multi\nline {x}\n{x}", {"x": "X"}),
    ("unicode {emoji} ✓", {"emoji": "\U0001f389"}),
    ("{n}", {"n": 0}),
    ("{flag}", {"flag": False}),
    ("{none}", {"none": None}),
    ("", {"a": "b"}),
    ("{x}", {}),
    ("{a.b} {a}", {"a": "A"}),
    ("{Name} {name}", {"name": "lower"}),
    ("{_private1}", {"_private1": "ok"}),
    ("{1} {2x}", {"1": "one"}),
    ("regex chars {a} .*+?", {"a": "$1 \\1 \\g<0>"}),
]


class TestRendering:
    @pytest.mark.parametrize(("template", "context"), SIMPLE_CASES)
    def test_equals_original_replacement(self, template: str, context: dict[str, Any]) -> None:
        assert render(template, context) == original_render(template, context)

    def test_no_context(self) -> None:
        assert render("{a} {b}", None) == "{a} {b}"
        assert render("{a} {b}", {}) == "{a} {b}"

    def test_single_pass(self) -> None:
        context = {"a": "{b}", "b": "X"}
        assert render("{a} {b}", context) == "{b} X"
        assert render("{b} {a}", context) == "X {b}"
        assert render("{a}", {"a": "{a}"}) == "{a}"
        assert render("{a}", {"a": "{a}{a}"}) == "{a}{a}"

    def test_unknown_placeholders_stay(self) -> None:
        assert render("{known} {unknown}", {"known": "K"}) == "K {unknown}"

    def test_json_braces_untouched(self) -> None:
        template = '{\n  "name": "{name}",\n  "items": [{"id": 1}, {}],\n  "n": {"{x}": 2}\n}'
        rendered = render(template, {"name": "Ada", "x": "k"})
        assert rendered == '{\n  "name": "Ada",\n  "items": [{"id": 1}, {}],\n  "n": {"k": 2}\n}'

    @pytest.mark.parametrize(
        "value",
        [object(), [1, "two"], {3}, None, b"bytes", {"nested": {"x": [1]}}, 3 + 4j, (1,), ...],
        ids=lambda v: type(v).__name__,
    )
    def test_any_value_renders_with_str_through_loader(
        self, write: WriteFn, make_loader: LoaderFactory, value: object
    ) -> None:
        write("t.md", "value: {v}; raw: {other}")
        loader = make_loader()
        expected = f"value: {value}; raw: {{other}}"
        assert loader.load_component("t.md", {"v": value}) == expected
        assert loader.load_component("t.md", {"v": value}) == expected
        assert loader.cache.get_stats()["hits"] == 1

    def test_unhashable_and_unjsonable_values_together(
        self, write: WriteFn, make_loader: LoaderFactory
    ) -> None:
        write("t.md", "{a}|{b}|{c}")
        loader = make_loader()
        context = {"a": {1, 2}, "b": [["x"]], "c": object}
        assert loader.load_component("t.md", context) == f"{{1, 2}}|[['x']]|{object}"

    def test_distinct_objects_are_distinct_contexts(
        self, write: WriteFn, make_loader: LoaderFactory
    ) -> None:
        write("t.md", "{v}")
        loader = make_loader()
        first, second = object(), object()
        assert loader.load_component("t.md", {"v": first}) == str(first)
        assert loader.load_component("t.md", {"v": second}) == str(second)

    def test_value_with_placeholder_through_loader(
        self, write: WriteFn, make_loader: LoaderFactory
    ) -> None:
        write("t.md", "{a} {b}")
        loader = make_loader()
        assert loader.load_component("t.md", {"a": "{b}", "b": "X"}) == "{b} X"


class TestTemplateHelpers:
    def test_placeholders_in_order_of_first_appearance(self) -> None:
        assert placeholders("{b} {a} {b} {not valid} {c_1}") == ["b", "a", "c_1"]

    def test_diagnose(self) -> None:
        diag = diagnose("{a} {b}\n{ c } and {d", {"a": 1, "z": 2})
        assert diag.placeholders == ("a", "b")
        assert diag.missing == ("b",)
        assert diag.unused == ("z",)
        assert [(m.line, m.text, m.problem) for m in diag.malformed] == [
            (2, "{ c }", "spaces inside braces"),
            (2, "{d", "no closing brace"),
        ]
        assert not diag.ok
        assert diagnose("{a}", {"a": 1}).ok
