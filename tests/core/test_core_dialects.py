"""Dialects: render equality with the engines themselves, frontmatter, includes, sandbox."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import jinja2
import pystache
import pytest
from core_testlib import LoaderFactory, WriteFn
from jinja2.sandbox import SandboxedEnvironment

from promptcache import ComponentError, render
from promptcache.checker import check_folder
from promptcache.dialects import (
    IncludeError,
    MissingVariableError,
    SandboxViolationError,
    TemplateError,
)

JINJA_CORPUS: list[tuple[str, dict[str, Any]]] = [
    ("Hello {{ name }}!\n", {"name": "Ada"}),
    ("{{ user.name | upper }} of {{ user['team'] }}\n", {"user": {"name": "ada", "team": "ops"}}),
    ("{% for d in docs %}- {{ loop.index }}. {{ d.title }}\n{% endfor %}", {
        "docs": [{"title": "A"}, {"title": "B"}]}),
    ("{% if urgent %}NOW{% else %}later{% endif %}: {{ task }}", {"urgent": False, "task": "x"}),
    ('{% set n = items | length %}{{ n }} items; json: {"a": {{ items | tojson }}}\n', {
        "items": [1, 2]}),
    ('Intro\n{% include "partials/rules.j2" %}\nBye {{ name }}\n', {"name": "Bo", "tone": "dry"}),
    ("{% macro li(x) %}<{{ x }}>{% endmacro %}{{ li(a) }}{{ li(b) }}", {"a": 1, "b": 2}),
    ("{# comment #}  {{- name -}}  \n", {"name": "trim"}),
]  # fmt: skip
MUSTACHE_CORPUS: list[tuple[str, dict[str, Any]]] = [
    ("Hello {{name}}!\n", {"name": "Ada"}),
    ("{{#docs}}- {{title}}\n{{/docs}}", {"docs": [{"title": "A"}, {"title": "B"}]}),
    ("{{^empty}}nothing{{/empty}} {{user.name}}", {"empty": [], "user": {"name": "Ada"}}),
    ("raw {{{html}}} and {{html}} & {{&html}}\n", {"html": "<b>'x'</b>"}),
    ("Intro\n{{> footer}}\nend {{name}}\n", {"name": "Bo", "sig": "ops"}),
    ("  {{! comment }}\n{{=<% %>=}}<% name %>\n", {"name": "delims"}),
]  # fmt: skip


def test_jinja_renders_exactly_as_jinja_itself(write: WriteFn, make_loader: LoaderFactory) -> None:
    write("partials/rules.j2", "Be {{ tone }}.\n")
    for number, (text, _ctx) in enumerate(JINJA_CORPUS):
        write(f"case{number}.j2", text)
    loader = make_loader()
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(str(loader.base_path)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    for number, (_text, ctx) in enumerate(JINJA_CORPUS):
        expected = env.get_template(f"case{number}.j2").render(ctx)
        assert loader.load_component(f"case{number}.j2", ctx) == expected
        assert loader.load_component(f"case{number}.j2", ctx) == expected  # the cached copy


def test_mustache_renders_exactly_as_pystache_itself(
    write: WriteFn, make_loader: LoaderFactory
) -> None:
    write("footer.mustache", "-- {{sig}}\n")
    for number, (text, _ctx) in enumerate(MUSTACHE_CORPUS):
        write(f"case{number}.mustache", text)
    loader = make_loader()
    engine = pystache.Renderer(
        search_dirs=[str(loader.base_path)],
        file_extension="mustache",
        escape=lambda s: s,
        missing_tags="strict",
    )
    for number, (text, ctx) in enumerate(MUSTACHE_CORPUS):
        expected = engine.render(text, ctx)
        assert loader.load_component(f"case{number}.mustache", ctx) == expected


def test_brace_files_render_as_before_and_json_braces_are_not_placeholders(
    write: WriteFn, make_loader: LoaderFactory
) -> None:
    text = 'Return JSON like {"name": "{name}", "tags": [{"id": 1}]} for {name}.\n{ name }\n'
    write("example.md", text)
    loader = make_loader()
    assert loader.load_component("example.md", {"name": "Ada"}) == render(text, {"name": "Ada"})
    assert loader.load_component("example.md", {"name": "Ada"}) == (
        'Return JSON like {"name": "Ada", "tags": [{"id": 1}]} for Ada.\n{ name }\n'
    )
    [check] = check_folder(loader.base_path).components
    assert check.placeholders == ("name",)
    assert check.dialect == "brace"
    assert [p.kind for p in check.problems] == ["malformed_placeholder"]  # only "{ name }"
    assert check.to_dict()["problems"][0]["line"] == 2


def test_dialect_precedence(write: WriteFn, base: Path, make_loader: LoaderFactory) -> None:
    write("a.j2", "---\ntemplate_format: mustache\n---\n{{name}}!")
    write("b.j2", "{{ name }}!")
    write("c.md", "{{ name }}!")
    write("d.md", "---\ntemplate_format: fstring\n---\n{name}!")
    write("e.prompty", "---\nmodel: {api: chat}\n---\n{{ name }}!")
    loader = make_loader()
    assert [loader.source(p).dialect for p in ["a.j2", "b.j2", "c.md", "d.md", "e.prompty"]] == [
        "mustache", "jinja2", "brace", "brace", "jinja2",
    ]  # fmt: skip
    assert loader.load_component("c.md", {"name": "x"}) == "{{ name }}!"  # today's behaviour
    (base / ".promptcache.toml").write_text('template_format = "jinja2"\n', encoding="utf-8")
    folder_loader = make_loader()
    assert folder_loader.source("c.md").dialect == "jinja2"
    assert folder_loader.source("d.md").dialect == "brace"  # frontmatter still wins
    assert folder_loader.load_component("c.md", {"name": "x"}) == "x!"


def test_frontmatter_inputs_defaults_and_model(write: WriteFn, make_loader: LoaderFactory) -> None:
    write(
        "ask.prompty",
        "---\nname: ask\nmodel:\n  api: chat\n  parameters: {temperature: 0.2}\n"
        "inputs:\n  question: {type: string}\n  tone: {default: calm}\n  unused: {default: 1}\n"
        "---\nAnswer {{ question }} in a {{ tone }} tone. {{ extra }}\n",
    )
    loader = make_loader()
    assert loader.load_component("ask.prompty", {"question": "why", "extra": "!"}) == (
        "Answer why in a calm tone. !\n"
    )
    report = loader.inspect("ask.prompty", {"question": "why"})
    fm = report.frontmatter
    assert fm is not None
    assert fm.model == {"api": "chat", "parameters": {"temperature": 0.2}}
    assert [(i.name, i.required, i.default) for i in fm.inputs] == [
        ("question", True, None), ("tone", False, "calm"), ("unused", False, 1),
    ]  # fmt: skip
    kinds = {(p.kind, p.line) for p in report.problems}
    assert ("unused_input", 9) in kinds
    assert ("undeclared_variable", 11) in kinds
    assert ("missing_variable", 11) in kinds  # extra


def test_frontmatter_errors(write: WriteFn, make_loader: LoaderFactory) -> None:
    write("bad.prompty", "---\nmodel: [unclosed\ninputs: {}\n---\nHi {{ x }}\n")
    write("what.md", "---\ntemplate_format: liquid\n---\nHi\n")
    write("dash.md", "---\nnot yaml: [\n---\nA markdown rule above, {name}\n")
    loader = make_loader()
    with pytest.raises(TemplateError, match=r"bad\.prompty:3:7: bad YAML in frontmatter"):
        loader.load_component("bad.prompty", {"x": 1})
    with pytest.raises(TemplateError, match="template_format 'liquid' is not one of brace"):
        loader.load_component("what.md")
    # A plain file whose first lines only look like frontmatter keeps today's behaviour.
    assert loader.load_component("dash.md", {"name": "n"}).startswith("---\nnot yaml: [\n")
    report = check_folder(loader.base_path)
    found = {c.path: [(p.kind, p.line, p.column) for p in c.problems] for c in report.components}
    assert found["bad.prompty"] == [("bad_frontmatter", 3, 7)]
    assert found["what.md"] == [("unknown_template_format", 2, 1)]
    assert found["dash.md"] == []


@pytest.mark.parametrize(
    "attack",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ lipsum['__globals__'] }}",
    ],
)
def test_sandbox_refuses_python_internals(
    attack: str, write: WriteFn, make_loader: LoaderFactory
) -> None:
    write("evil.j2", f"ok\n{attack}\n")
    loader = make_loader()
    with pytest.raises(SandboxViolationError, match=r"evil\.j2:2: refused by the sandbox") as exc:
        loader.load_component("evil.j2")
    assert "cannot reach Python internals" in str(exc.value)
    [check] = check_folder(loader.base_path).components
    assert check.errors and {p.kind for p in check.problems} == {"sandbox"}


def test_missing_variables_name_attribute_paths_through_includes(
    write: WriteFn, make_loader: LoaderFactory
) -> None:
    write("main.j2", "Dear {{ user.name }},\n{% include 'parts/sig.j2' %}")
    write("parts/sig.j2", "\n-- {{ team.lead.email }}\n")
    loader = make_loader()
    with pytest.raises(MissingVariableError) as exc:
        loader.load_component("main.j2", {"user": {"name": "Ada"}, "team": {"lead": {}}})
    assert exc.value.variable == "team.lead.email"
    assert str(exc.value).startswith("parts/sig.j2:2:7: undefined variable team.lead.email")
    with pytest.raises(MissingVariableError, match=r"main\.j2:1:9: undefined variable user\.name"):
        loader.load_component("main.j2", {"user": {}})
    report = loader.inspect("main.j2", {"user": {"name": "x"}})
    missing = [(p.path, p.line, p.message) for p in report.problems]
    assert missing == [("parts/sig.j2", 2, "missing variable team.lead.email")]
    assert report.paths == ("user.name", "team.lead.email")


def test_unused_values_are_reported(write: WriteFn, make_loader: LoaderFactory) -> None:
    write("t.mustache", "{{a}} {{#list}}{{b}}{{/list}}")
    report = make_loader().inspect("t.mustache", {"a": 1, "list": [], "zz": 2}, given=["zz", "a"])
    assert [p.message for p in report.problems if p.kind == "unused_value"] == ["-v zz is not used"]


def test_syntax_errors_have_line_and_column(write: WriteFn, make_loader: LoaderFactory) -> None:
    write("broken.j2", "line one\nline {{ two }}\n  {% for x in %}\n")
    write("broken.mustache", "a\n{{#open}}\n b {{/close}}\n")
    report = check_folder(make_loader().base_path)
    found = {c.path: [(p.kind, p.line, p.column) for p in c.problems] for c in report.components}
    assert found["broken.j2"] == [("syntax_error", 3, 3)]
    assert found["broken.mustache"] == [("syntax_error", 3, 4)]


def test_missing_includes_and_cycles_name_the_chain(
    write: WriteFn, make_loader: LoaderFactory
) -> None:
    write("a.md", "---\ntemplate_format: jinja2\n---\n{% include 'b.md' %}")
    write("b.md", "---\ntemplate_format: jinja2\n---\nB {% include 'a.md' %}")
    write("top.hbs", "{{> middle}}")
    write("middle.hbs", "{{> nowhere}}")
    write("out.j2", "{% include '../outside.j2' %}")
    loader = make_loader()
    with pytest.raises(IncludeError, match=r"include cycle: a\.md → b\.md → a\.md"):
        loader.load_component("a.md")
    with pytest.raises(
        IncludeError, match=r"'nowhere' not found: top\.hbs → middle\.hbs → nowhere"
    ):
        loader.load_component("top.hbs")
    with pytest.raises(ComponentError, match=r"not found: out\.j2 → \.\./outside\.j2"):
        loader.load_component("out.j2")
    report = check_folder(loader.base_path)
    kinds = {c.path: [p.kind for p in c.problems] for c in report.components}
    assert kinds["a.md"] == ["include_cycle"]
    assert kinds["top.hbs"] == ["missing_include"]
    assert kinds["out.j2"] == ["missing_include"]


def test_compiled_once_per_file_version(write: WriteFn, make_loader: LoaderFactory) -> None:
    path = write("c.j2", "{{ a }}-{{ b }}")
    loader = make_loader()
    loader.load_component("c.j2", {"a": 1, "b": 2})
    first = loader._compiled["c.j2"]
    loader.load_component("c.j2", {"a": 3, "b": 4})
    assert loader._compiled["c.j2"] is first
    path.write_text("{{ a }}+{{ b }}", encoding="utf-8")
    assert loader.load_component("c.j2", {"a": 5, "b": 6}) == "5+6"
    assert loader._compiled["c.j2"] is not first


@pytest.mark.parametrize("dialect", ["jinja2", "mustache"])
def test_editing_an_include_refreshes_every_dependent(
    dialect: str, watch: str, write: WriteFn, make_loader: LoaderFactory
) -> None:
    if dialect == "jinja2":
        write("top.j2", "top[{% include 'mid.j2' %}]")
        write("mid.j2", "mid({% include 'leaf.j2' %})")
        leaf, top, mid = write("leaf.j2", "v1 {{ x }}"), "top.j2", "mid.j2"
    else:
        write("top.mustache", "top[{{> mid}}]")
        write("mid.mustache", "mid({{> leaf}})")
        leaf, top, mid = write("leaf.mustache", "v1 {{x}}"), "top.mustache", "mid.mustache"
    loader = make_loader(watch=watch)
    assert loader.load_component(top, {"x": 1}) == "top[mid(v1 1)]"
    assert loader.load_component(mid, {"x": 1}) == "mid(v1 1)"
    assert loader.load(top, {"x": 1}).hit
    leaf.write_text(leaf.read_text(encoding="utf-8").replace("v1", "v2"), encoding="utf-8")
    assert loader.load_component(top, {"x": 1}) == "top[mid(v2 1)]"
    assert loader.load_component(mid, {"x": 1}) == "mid(v2 1)"
    assert loader.graph.included_by(mid) == (top,)
    assert loader.included_by(leaf.name) == (mid,)
    # Each further edit shows; with inotify, dependents are cached again in between (stat
    # mode does not trust the signature of a file written in the last 2 s, so it reads).
    assert loader.load(top, {"x": 1}).hit == (watch == "inotify")
    leaf.write_text(leaf.read_text(encoding="utf-8").replace("v2", "v3 and more"), "utf-8")
    assert loader.load_component(top, {"x": 1}) == "top[mid(v3 and more 1)]"
    assert loader.load(top, {"x": 1}).hit == (watch == "inotify")


def test_read_your_writes_through_includes_under_threads(
    watch: str, write: WriteFn, make_loader: LoaderFactory
) -> None:
    write("page.j2", "page:{% include 'part.j2' %}")
    part = write("part.j2", "0", old=False)
    loader = make_loader(watch=watch)
    written = [0]
    stop = threading.Event()
    stale: list[tuple[int, str]] = []
    errors: list[BaseException] = []
    loads = [0]

    def reader() -> None:
        try:
            while not stop.is_set():
                floor = written[0]  # a write completed before this load began
                content = loader.load_component("page.j2", {"n": 1})
                loads[0] += 1
                if int(content.removeprefix("page:")) < floor:
                    stale.append((floor, content))
        except BaseException as exc:
            errors.append(exc)
            raise

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 1.0
    version = 0
    while time.monotonic() < deadline and version < 150:
        version += 1
        staged = part.with_name(f".part-{version}")
        staged.write_text(str(version), encoding="utf-8")
        os.replace(staged, part)  # as editors save: no half-written file to read
        written[0] = version
        time.sleep(0.002)
    stop.set()
    for t in threads:
        t.join(timeout=10)
    assert not errors, errors[:1]
    assert version > 20 and loads[0] > 100
    assert not stale, stale[:3]
    assert loader.load_component("page.j2", {"n": 1}) == f"page:{version}"
