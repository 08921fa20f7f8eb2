"""Template dialects: ``{name}`` (brace), Jinja2 and Mustache/Handlebars, with frontmatter.

No I/O here: files reach the engines through an ``IncludeResolver`` that the loader (or
the checker) backs with its confined reads.
"""

from .base import (
    BRACE,
    FORMATS,
    JINJA2,
    MUSTACHE,
    Analysis,
    Diagnostic,
    IncludeError,
    IncludeResolver,
    MissingVariableError,
    SandboxViolationError,
    SourceFile,
    TemplateError,
    VariableUse,
    chain_text,
    nested_context,
)
from .frontmatter import DeclaredInput, Frontmatter
from .graph import IncludeGraph
from .sources import EXTENSIONS, PROJECT_FILE, ProjectConfigError, make_source, read_folder_default
from .templates import Compiled, IncludeWalk, Templates
from .tokens import TokenCount, count_tokens, tokenizer_available

__all__ = [
    "BRACE",
    "EXTENSIONS",
    "FORMATS",
    "JINJA2",
    "MUSTACHE",
    "PROJECT_FILE",
    "Analysis",
    "Compiled",
    "DeclaredInput",
    "Diagnostic",
    "Frontmatter",
    "IncludeError",
    "IncludeGraph",
    "IncludeResolver",
    "IncludeWalk",
    "MissingVariableError",
    "ProjectConfigError",
    "SandboxViolationError",
    "SourceFile",
    "TemplateError",
    "Templates",
    "TokenCount",
    "VariableUse",
    "chain_text",
    "count_tokens",
    "make_source",
    "nested_context",
    "read_folder_default",
    "tokenizer_available",
]
