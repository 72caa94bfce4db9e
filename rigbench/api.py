"""How the package's commands are also Python functions: ``rigbench.probe()``, ``rigbench.bench(...)``.

``rigbench.probe`` is both the probe package (``rigbench.probe.cpu`` ...) and the function a program calls. A module
cannot be called, so each command's module turns itself into a :class:`CommandModule` (a ``ModuleType`` subclass,
which Python allows a module to adopt by assigning ``__class__``: the language reference, "Customizing module
attribute access") whose call runs the command's function. Imports, submodules and attributes work as before.

Each call returns the same document the command prints with ``--json``. docs/api.md shows them in use.
"""

from __future__ import annotations

import sys
import types
from typing import Callable


class CommandModule(types.ModuleType):
    """A module that can also be called: ``module(...)`` runs ``module.__command__(...)``."""

    __command__: Callable

    def __call__(self, *args, **kwargs):
        return self.__command__(*args, **kwargs)


def callable_module(name: str, command: Callable) -> None:
    """Make the (already imported) module ``name`` callable as ``command``."""
    module = sys.modules[name]
    module.__command__ = command
    module.__class__ = CommandModule
