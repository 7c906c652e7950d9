"""Which integration runs which Task resource.

Integrations come from two places: ones added in code (``Interpreter(integrations=...)``
or :meth:`IntegrationRegistry.add`), which are tried first, and plugins in the
``aslrun.integrations`` entry-point group, loaded lazily the first time a resource
needs them. An entry point names a factory ``factory(interpreter) -> Integration``
(a class works) — the built-in ones register themselves the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from aslrun.errors import IntegrationError
from aslrun.integrations.arn import ResourceArn, parse_resource
from aslrun.integrations.base import Integration

__all__ = ["ENTRY_POINT_GROUP", "IntegrationRegistry"]

ENTRY_POINT_GROUP = "aslrun.integrations"


class IntegrationRegistry:
    """An ordered list of integrations; the first that handles a resource wins."""

    def __init__(self, integrations: Iterable[Integration] = (), load_plugins: bool = True,
                 owner: Any = None) -> None:
        self._explicit: list[Integration] = list(integrations)
        self._plugins: list[Integration] | None = None if load_plugins else []
        self._owner = owner
        self._cache: dict[str, Integration | None] = {}

    def add(self, integration: Integration, first: bool = True) -> None:
        """Register an integration ahead of (or after) the others."""
        if first:
            self._explicit.insert(0, integration)
        else:
            self._explicit.append(integration)
        self._cache.clear()

    def _load_plugins(self) -> list[Integration]:
        if self._plugins is None:
            from importlib.metadata import entry_points  # slow to import: only when a plugin is looked for

            loaded: list[Integration] = []
            for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
                try:
                    factory: Callable[..., Integration] = ep.load()
                    loaded.append(factory(self._owner))
                except Exception as exc:  # a broken plugin must say which one it is
                    raise IntegrationError(
                        f"the integration plugin {ep.name!r} ({ep.value}) could not be loaded: {exc}"
                    ) from exc
            self._plugins = loaded
        return self._plugins

    def loaded(self) -> list[Integration]:
        """The integrations made so far (explicit ones and plugins already loaded), without loading more."""
        return self._explicit + (self._plugins or [])

    def all(self) -> list[Integration]:
        """Every integration, explicit ones first."""
        return self._explicit + self._load_plugins()

    def declares(self, resource: str | ResourceArn) -> bool:
        """Whether an integration declares ``resource`` as one it adds to AWS's (validation accepts it).

        An integration with a ``resources`` attribute declares the resources matching one of its
        glob patterns (``fnmatch``, case-sensitive); one without it, whatever its ``handles`` accepts.
        """
        from fnmatch import fnmatchcase

        parsed = parse_resource(resource) if isinstance(resource, str) else resource
        for integration in self.all():
            patterns = getattr(integration, "resources", None)
            if patterns is None:
                if integration.handles(parsed):
                    return True
            elif any(fnmatchcase(parsed.arn, pattern) for pattern in patterns):
                return True
        return False

    def resolve(self, resource: str | ResourceArn) -> Integration | None:
        """The integration for ``resource``, or None."""
        key = resource if isinstance(resource, str) else resource.arn
        if key in self._cache:
            return self._cache[key]
        parsed = parse_resource(key) if isinstance(resource, str) else resource
        found = next((i for i in self._explicit if i.handles(parsed)), None)
        if found is None:
            found = next((i for i in self._load_plugins() if i.handles(parsed)), None)
        self._cache[key] = found
        return found
