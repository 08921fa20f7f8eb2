"""promptcache's Textual inspector: live cache panels and a component browser."""

from pathlib import Path

SAMPLE_LIBRARY = Path(__file__).resolve().parent / "sample_library"
"""The bundled sample components the app opens when no folder is given."""

DIALECT_LIBRARY = Path(__file__).resolve().parent / "dialect_library"
"""A second sample set: Jinja2 (includes), Mustache/Handlebars (partials), Prompty files."""
