"""A function's init phase, made short: every handler imports this module before anything else and
calls `finished()` as its last statement. Two things happen in between (figures: README, "Cold
starts"; `make bench` measures them).

- **The cyclic garbage collector is off.** Loading a handler builds a few hundred thousand objects
  that live as long as the process (modules, classes, pydantic's validators, botocore's models) and
  next to no garbage, yet the collector walks them again and again while they load. `finished()`
  turns it back on with what init built frozen (`gc.freeze`), so the collections of warm
  invocations do not walk it either.
- **Packages that import everything export lazily.** `aws_lambda_powertools.event_handler` imports
  every resolver it has (AppSync, Bedrock, VPC Lattice, ...), `utilities.data_classes` every event
  class, `openapi` its merge tool, `openapi.swagger_ui` the OpenAPI models (for OAuth2, which the
  docs page does not use), though a function uses one or two of each. Here such a package's
  `__init__` is read, not run: a name it exports is imported from the module that defines it on
  first use, the same object the package would have bound (PEP 562's module `__getattr__`). A
  package whose `__init__` does more than import and list names loads as usual.
"""

from __future__ import annotations

import gc

gc.disable()  # before the imports below, which allocate too

import ast  # noqa: E402
import importlib.util  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

# In this order (a package's parent first); those a function does not have are left alone.
LAZY_PACKAGES = (
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.utilities.data_classes",
    "aws_lambda_powertools.event_handler.openapi",
    "aws_lambda_powertools.event_handler.openapi.swagger_ui",
)


def finished() -> None:
    gc.freeze()
    gc.enable()


def _read_init(package: str, source: str) -> tuple[dict[str, tuple[str, str | None]], list[str] | None] | None:
    """What the package's `__init__` binds: each name it imports, as (defining module, name there) or
    (module, None) for a module imported whole, and its `__all__`; None when it runs anything else."""
    exports: dict[str, tuple[str, str | None]] = {}
    public: list[str] | None = None
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom):
            module = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            for alias in node.names:
                name = alias.asname or alias.name
                if node.module is None:  # `from . import types`
                    exports[name] = (f"{module}.{alias.name}", None)
                else:
                    exports[name] = (module, alias.name)
        elif isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["__all__"]:
            public = list(ast.literal_eval(node.value))
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):  # the docstring
            return None
    return exports, public


def _export_lazily(package: str) -> None:
    if package in sys.modules:
        return
    try:
        spec = importlib.util.find_spec(package)
    except ModuleNotFoundError:  # its parent is not installed in this function
        return
    if spec is None or spec.origin is None:
        return
    with open(spec.origin, encoding="utf-8") as init:
        read = _read_init(package, init.read())
    if read is None:
        return
    exports, public = read
    module = importlib.util.module_from_spec(spec)

    def __getattr__(name: str) -> Any:  # noqa: N807 (PEP 562)
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        defining_module, original = exports[name]
        value = importlib.import_module(defining_module)
        if original is not None:
            value = getattr(value, original)
        setattr(module, name, value)
        return value

    vars(module)["__getattr__"] = __getattr__
    if public is not None:
        vars(module)["__all__"] = public
    sys.modules[package] = module
    for name, (defining_module, _) in exports.items():
        # Importing a submodule binds it on its package under its own name: an export named as the
        # module that defines it (data_classes.event_source) is bound now, as `__init__` would have.
        if defining_module == f"{package}.{name}":
            __getattr__(name)


for _package in LAZY_PACKAGES:
    _export_lazily(_package)
