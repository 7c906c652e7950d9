"""The compiled-expression cache an interpreter owns.

Compiling is pure (the same text always compiles to the same immutable object), so an
interpreter keeps what it compiled to load the next definition faster. The cache belongs to
one :class:`~aslrun.interpreter.Interpreter`, which passes it to
:func:`aslrun.parser.parse`; nothing is cached at module level, so two interpreters in one
process never share one. A compile function given no cache compiles afresh.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["DEFAULT_LIMIT", "ExpressionCache"]

#: entries an interpreter's cache keeps (the module-level cache it replaces kept 4096 paths)
DEFAULT_LIMIT = 4096

_T = TypeVar("_T")


class ExpressionCache:
    """Compiled expressions by kind (``"jsonpath"``, ...) and text, up to ``limit`` entries.

    Safe to share between the threads of one interpreter: a text compiled twice at the same
    moment compiles to equal objects, and the first one stored wins.
    """

    __slots__ = ("limit", "_entries", "_lock")

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self._entries: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def get_or_compile(self, kind: str, text: str, compile: Callable[[], _T]) -> _T:
        """The ``kind`` expression compiled from ``text``: cached, or ``compile()`` now."""
        key = (kind, text)
        try:
            return self._entries[key]  # type: ignore[no-any-return]
        except KeyError:
            pass
        compiled = compile()
        with self._lock:
            if len(self._entries) < self.limit:
                compiled = self._entries.setdefault(key, compiled)
        return compiled

    def clear(self) -> None:
        """Forget every compiled expression."""
        with self._lock:
            self._entries.clear()
