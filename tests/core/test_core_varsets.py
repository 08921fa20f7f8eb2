"""Variable-set files: round trip, types, and errors that name the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptcache.varsets import (
    VariableSetsError,
    format_variable_sets,
    read_variable_sets,
    save_variable_set,
)


def test_missing_file_means_no_sets(tmp_path: Path) -> None:
    assert read_variable_sets(tmp_path / "none.toml") == {}


def test_round_trip_keeps_every_set_and_odd_values(tmp_path: Path) -> None:
    path = tmp_path / "vars.toml"
    odd = {"project name": 'quote " and \\ slash', "emoji": "🙂", "multi": "a\nb", "n": "3"}
    save_variable_set(path, "default", {"project_name": "Atlas"})
    save_variable_set(path, "odd set", odd)
    save_variable_set(path, "default", {"project_name": "Borealis"})
    assert read_variable_sets(path) == {"default": {"project_name": "Borealis"}, "odd set": odd}
    assert not list(tmp_path.glob(".*.tmp"))


def test_numbers_and_booleans_are_rendered_as_text(tmp_path: Path) -> None:
    path = tmp_path / "vars.toml"
    path.write_text("[default]\nmax_words = 300\nratio = 0.5\nstrict = true\n")
    assert read_variable_sets(path) == {
        "default": {"max_words": "300", "ratio": "0.5", "strict": "true"}
    }


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("[default]\nx = \n", ":2:", "Invalid value"),
        ("[default\n", ":1:", "Expected ']'"),
        ('[default]\nx = "a"\ny = [1, 2]\n', ":3:", "default.y must be a string"),
        ('top = "not a table"\n', ":1:", "'top' must be a [table]"),
        ("[a]\n[a.b]\nc = 1\n", ":2:", "a.b must be a string"),
    ],
)
def test_bad_files_name_the_file_and_line(tmp_path: Path, text: str, where: str, what: str) -> None:
    path = tmp_path / "vars.toml"
    path.write_text(text)
    with pytest.raises(VariableSetsError) as caught:
        read_variable_sets(path)
    message = str(caught.value)
    assert message.startswith(f"{path}{where}") and what in message


def test_saving_over_a_broken_file_leaves_it_untouched(tmp_path: Path) -> None:
    path = tmp_path / "vars.toml"
    path.write_text("[default\n")
    with pytest.raises(VariableSetsError):
        save_variable_set(path, "default", {"a": "b"})
    assert path.read_text() == "[default\n"


def test_not_utf8_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "vars.toml"
    path.write_bytes(b'[default]\nx = "caf\xe9"\n')
    with pytest.raises(VariableSetsError, match="not UTF-8"):
        read_variable_sets(path)


def test_format_is_valid_toml_for_any_names() -> None:
    import tomllib

    sets = {"a.b": {"c d": "e", "f": "\t"}}
    assert tomllib.loads(format_variable_sets(sets)) == sets
