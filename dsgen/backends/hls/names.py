"""Model names → safe, unique C++ identifiers.

Model names are arbitrary strings (quotes, ``*/``, newlines, ``#include``, unicode, C++ keywords).
They never reach generated code or comments raw: every identifier is ``[A-Za-z_][A-Za-z0-9_]*``,
short, prefixed so it cannot be a keyword or a reserved name, and made unique by a counter.
"""

from __future__ import annotations

import re

MAX_LEN = 40
_KEYWORDS = frozenset(
    "alignas alignof and and_eq asm auto bitand bitor bool break case catch char char16_t char32_t "
    "class compl const constexpr const_cast continue decltype default delete do double "
    "dynamic_cast else enum explicit export extern false float for friend goto if inline int long "
    "mutable namespace new noexcept not not_eq nullptr operator or or_eq private protected public "
    "register reinterpret_cast return short signed sizeof static static_assert static_cast struct "
    "switch template this thread_local throw true try typedef typeid typename union unsigned using "
    "virtual void volatile wchar_t while xor xor_eq main".split()
)


def slug(text: str, max_len: int = MAX_LEN) -> str:
    """Letters, digits and single underscores only (possibly empty)."""
    s = re.sub(r"[^A-Za-z0-9]+", "_", text.encode("ascii", "ignore").decode()).strip("_")
    return s[:max_len].rstrip("_")


def top_name(model_name: str) -> str:
    """The top function and file stem: the model's name when that is already a safe identifier."""
    s = slug(model_name).lower()
    if not s or s[0].isdigit() or s in _KEYWORDS or s.startswith("dsg") or "__" in s:
        s = f"net_{s}" if s else "net"
    return s


class Namer:
    """Hands out unique identifiers ``<prefix><index>_<slug>`` (the index alone makes them unique;
    the slug is only a reading aid)."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def make(self, prefix: str, text: str) -> str:
        base = f"{prefix}{len(self._used)}"
        s = slug(text, 24).lower()
        ident = f"{base}_{s}" if s else base
        while ident in self._used:  # cannot happen with the counter, kept as a guard
            ident += "_"
        self._used.add(ident)
        return ident
