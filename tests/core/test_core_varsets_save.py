"""Saving a variable set keeps the file as its author wrote it, and never writes inside the
installed package: the bundled samples' sets go to the user's data folder."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from promptcache.tui import SAMPLE_LIBRARY
from promptcache.varsets import (
    VARS_FILE,
    VariableSetsError,
    read_variable_sets,
    save_variable_set,
    user_variable_sets_file,
    variable_sets_file,
)

AUTHORED = """\
# Team variable sets: keep these in sync with the wiki.

[default]  # used when nothing is picked
project_name = "Atlas"   # the product
audience = 'the board'
max_words = 300
draft = true
old = "x"

# Release notes use the codename.
[release-notes]
project_name = "Borealis"
# the end
"""


@pytest.fixture
def authored(tmp_path: Path) -> Path:
    path = tmp_path / VARS_FILE
    path.write_text(AUTHORED, encoding="utf-8")
    return path


def test_saving_the_same_values_changes_nothing(authored: Path) -> None:
    values = read_variable_sets(authored)["default"]
    assert save_variable_set(authored, "default", values) == authored
    assert authored.read_text(encoding="utf-8") == AUTHORED


def test_comments_order_and_formatting_are_kept(authored: Path) -> None:
    save_variable_set(
        authored,
        "default",
        {"project_name": "Atlas", "audience": "engineers", "max_words": "300", "tone": "brief"},
    )
    assert authored.read_text(encoding="utf-8") == AUTHORED.replace(
        "audience = 'the board'\n", 'audience = "engineers"\n'
    ).replace('draft = true\nold = "x"\n', 'tone = "brief"\n')


def test_a_new_set_goes_last_and_others_are_untouched(authored: Path) -> None:
    save_variable_set(authored, "hot fix", {"project_name": "Comet"})
    text = authored.read_text(encoding="utf-8")
    assert text.startswith(AUTHORED)
    assert text.endswith('["hot fix"]\nproject_name = "Comet"\n')
    assert tomllib.loads(text)["hot fix"] == {"project_name": "Comet"}


def test_a_number_that_changes_becomes_a_string(authored: Path) -> None:
    save_variable_set(authored, "default", {"max_words": "250"})
    assert tomllib.loads(authored.read_text(encoding="utf-8"))["default"] == {"max_words": "250"}
    assert "# the product" not in authored.read_text(encoding="utf-8")  # its key is gone
    assert "# Release notes use the codename." in authored.read_text(encoding="utf-8")


def test_a_broken_file_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / VARS_FILE
    broken = "# mine\n[default]\nx = [1]\n"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(VariableSetsError, match=r":3: default\.x must be"):
        save_variable_set(path, "default", {"x": "1"})
    assert path.read_text(encoding="utf-8") == broken


@pytest.fixture
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "data-home"
    monkeypatch.setenv("XDG_DATA_HOME", str(home))
    return home


def test_an_ordinary_folder_keeps_its_sets_in_its_own_file(tmp_path: Path, data_home: Path) -> None:
    assert user_variable_sets_file(tmp_path) is None
    assert variable_sets_file(tmp_path) == tmp_path / VARS_FILE


def test_the_bundled_samples_save_to_the_user_data_folder(data_home: Path) -> None:
    before = sorted(p for p in SAMPLE_LIBRARY.rglob("*") if p.is_file())
    written = save_variable_set(SAMPLE_LIBRARY / VARS_FILE, "mine", {"project_name": "Atlas"})
    assert written == variable_sets_file(SAMPLE_LIBRARY)
    assert written.is_relative_to(data_home / "promptcache")
    assert read_variable_sets(written) == {"mine": {"project_name": "Atlas"}}
    assert not (SAMPLE_LIBRARY / VARS_FILE).exists()
    assert sorted(p for p in SAMPLE_LIBRARY.rglob("*") if p.is_file()) == before
    save_variable_set(SAMPLE_LIBRARY / VARS_FILE, "second", {"a": "b"})
    assert set(read_variable_sets(written)) == {"mine", "second"}


def test_a_bundled_vars_file_is_the_starting_point_with_its_comments(
    tmp_path: Path, data_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder inside the package that ships sets: the user's copy starts from them."""
    package_folder = Path(os.path.dirname(SAMPLE_LIBRARY))
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    (shipped / VARS_FILE).write_text(AUTHORED, encoding="utf-8")
    from promptcache import varsets

    monkeypatch.setattr(varsets, "_package_folders", lambda: [tmp_path, package_folder])
    written = save_variable_set(shipped / VARS_FILE, "extra", {"a": "b"})
    assert written.is_relative_to(data_home)
    assert written.read_text(encoding="utf-8").startswith(AUTHORED)
    assert (shipped / VARS_FILE).read_text(encoding="utf-8") == AUTHORED
