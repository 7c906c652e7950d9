"""Which local handler runs which Lambda function: bindings from options, a project file or a template.

A binding maps a function reference to a Python handler file and function. It is given as
``NAME=path/to/handler.py:function`` (``--lambda``), in the ``lambdas`` section of a project file
(``aslrun.yaml``), as the interpreter option ``lambda.functions``, or found in a SAM/CloudFormation
template (a Python function whose ``CodeUri`` is a local directory). ``NAME`` is a function name, a
function ARN or a version/alias ARN (``arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]``);
a plain name matches every ARN with that function name. The most precise binding wins: the
qualified ARN, then the unqualified ARN, then the name.

The ``lambda.functions`` option (and ``lambda.template_functions``, tried after it) is a mapping::

    {"ValidateOrder": "handlers/validate.py:handler",
     "arn:aws:lambda:us-east-1:111111111111:function:Charge:live": {
         "handler": "handlers/charge.py:handler", "environment": {"TABLE": "orders"},
         "timeout": 3, "memory": 128}}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aslrun import defaults
from aslrun.errors import InputError

__all__ = [
    "DEFAULT_MEMORY_MB",
    "DEFAULT_TIMEOUT_SECONDS",
    "PROJECT_FILE_NAMES",
    "FunctionRef",
    "LambdaBinding",
    "find_binding",
    "function_ref",
    "load_project",
    "make_bindings",
    "parse_cli_bindings",
    "template_bindings",
]

#: Lambda's default function timeout and memory size
DEFAULT_TIMEOUT_SECONDS = 3
DEFAULT_MEMORY_MB = 128
#: the project files looked for in the current directory, in this order
PROJECT_FILE_NAMES = ("aslrun.yaml", "aslrun.yml", "aslrun.json")


@dataclass(frozen=True)
class LambdaBinding:
    """A local handler for a Lambda function."""

    key: str
    path: Path
    function: str
    environment: Mapping[str, str] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    memory: int = DEFAULT_MEMORY_MB

    @property
    def handler(self) -> str:
        """``module.function``, as the ``Handler`` setting and ``_HANDLER`` say it."""
        return f"{self.path.stem}.{self.function}"


@dataclass(frozen=True)
class FunctionRef:
    """A function reference (a name, partial or full ARN, with or without qualifier), completed."""

    name: str
    qualifier: str | None
    region: str
    account: str
    partition: str = defaults.PARTITION

    @property
    def arn(self) -> str:
        """The unqualified function ARN."""
        return f"arn:{self.partition}:lambda:{self.region}:{self.account}:function:{self.name}"

    @property
    def invoked_arn(self) -> str:
        """The ARN used to invoke it (qualified when a qualifier was given)."""
        return self.arn + (f":{self.qualifier}" if self.qualifier else "")


def function_ref(text: str, region: str, account: str, partition: str = defaults.PARTITION,
                 qualifier: str | None = None) -> FunctionRef:
    """Read ``name``, ``name:qualifier``, ``ACCOUNT:function:name[:q]`` or a full ARN."""
    parts = text.split(":")
    if len(parts) >= 7 and parts[0] == "arn" and parts[5] == "function":
        partition, region, account = parts[1] or partition, parts[3] or region, parts[4] or account
        name, rest = parts[6], parts[7:]
    elif len(parts) >= 3 and parts[1] == "function":
        account, name, rest = parts[0], parts[2], parts[3:]
    else:
        name, rest = parts[0], parts[1:]
    return FunctionRef(name, rest[0] if rest and rest[0] else qualifier, region, account, partition)


def _handler(text: str, base: Path, where: str) -> tuple[Path, str]:
    path_text, sep, function = text.rpartition(":")
    if not sep or not path_text.endswith(".py") or not function.isidentifier():
        raise InputError(f"{where}: expected path/to/handler.py:function, not {text!r}")
    path = Path(path_text)
    return (path if path.is_absolute() else base / path).resolve(), function


def _binding(key: str, spec: Any, base: Path, where: str) -> LambdaBinding:
    if isinstance(spec, str):
        spec = {"handler": spec}
    if not isinstance(spec, Mapping) or not isinstance(spec.get("handler"), str):
        raise InputError(f"{where}: expected a handler (path.py:function) or a mapping with 'handler'")
    unknown = set(spec) - {"handler", "environment", "timeout", "memory"}
    if unknown:
        raise InputError(f"{where}: unknown field(s) {', '.join(sorted(unknown))} "
                         "(use handler, environment, timeout, memory)")
    path, function = _handler(spec["handler"], base, where)
    env = spec.get("environment") or {}
    if not isinstance(env, Mapping):
        raise InputError(f"{where}: environment must be a mapping of NAME: value")
    timeout = spec.get("timeout", DEFAULT_TIMEOUT_SECONDS)
    memory = spec.get("memory", DEFAULT_MEMORY_MB)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 900:
        raise InputError(f"{where}: timeout must be a number of seconds from 1 to 900, not {timeout!r}")
    if isinstance(memory, bool) or not isinstance(memory, int) or not 128 <= memory <= 10240:
        raise InputError(f"{where}: memory must be a number of MB from 128 to 10240, not {memory!r}")
    return LambdaBinding(key, path, function, {str(k): _env_text(v) for k, v in env.items()}, timeout, memory)


def _env_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def make_bindings(value: Any, base: Path | None = None, where: str = "lambda.functions") -> list[LambdaBinding]:
    """The bindings of a ``lambda.functions`` mapping (relative handler paths are relative to ``base``)."""
    if value is None:
        return []
    if not isinstance(value, Mapping):
        raise InputError(f"{where}: expected a mapping of function NAME to its handler")
    base = base or Path.cwd()
    return [_binding(str(key), spec, base, f"{where}: {key}") for key, spec in value.items()]


def parse_cli_bindings(items: Iterable[str]) -> dict[str, str]:
    """``--lambda NAME=path.py:function`` options as a ``lambda.functions`` mapping (paths made absolute)."""
    found: dict[str, str] = {}
    for item in items:
        key, sep, handler = item.partition("=")
        if not sep or not key:
            raise InputError(f"--lambda {item!r}: expected NAME=path/to/handler.py:function")
        path, function = _handler(handler, Path.cwd(), f"--lambda {item!r}")
        found[key] = f"{path}:{function}"
    return found


def load_project(path: Path) -> dict[str, Any]:
    """A project file's ``lambdas`` section as a ``lambda.functions`` mapping with absolute handler paths."""
    from aslrun.source import read_definition

    value = read_definition(path, name=str(path)).value
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InputError(f"{path}: expected a mapping with a 'lambdas' section")
    lambdas = value.get("lambdas") or {}
    bindings = make_bindings(lambdas, path.resolve().parent, f"{path}: lambdas")
    return {b.key: {"handler": f"{b.path}:{b.function}", "environment": dict(b.environment), "timeout": b.timeout,
                    "memory": b.memory} for b in bindings}


def template_bindings(template: Any) -> dict[str, Any]:
    """Bindings for a template's Python functions whose ``CodeUri`` is a local directory (by function name).

    ``template`` is a :class:`~aslrun.templates.TemplateDefinition`; handler ``app.lambda_handler``
    becomes ``CODE_URI/app.py:lambda_handler``, with the function's ``Environment.Variables``, ``Timeout``
    and ``MemorySize`` (SAM ``Globals.Function`` included; Lambda's defaults where the template says nothing).
    """
    found: dict[str, Any] = {}
    base = Path(template.template_path).parent if template.template_path is not None else Path.cwd()
    for fn in template.functions:
        if not (fn.runtime or "").startswith("python") or not fn.handler or not fn.code_uri:
            continue
        code = base / fn.code_uri
        modname, sep, function = fn.handler.rpartition(".")
        path = code / (modname.replace(".", "/") + ".py")
        if not sep or not code.is_dir() or not path.is_file():
            continue
        spec: dict[str, Any] = {"handler": f"{path.resolve()}:{function}",
                                "environment": dict(getattr(fn, "environment", None) or {})}
        if getattr(fn, "timeout", None) is not None:
            spec["timeout"] = fn.timeout
        if getattr(fn, "memory", None) is not None:
            spec["memory"] = fn.memory
        found[fn.name] = spec
    return found


def find_binding(bindings: Iterable[LambdaBinding], ref: FunctionRef, region: str, account: str) -> \
        LambdaBinding | None:
    """The most precise binding for ``ref``: qualified ARN, then unqualified ARN, then name."""
    best: tuple[int, LambdaBinding] | None = None
    for binding in bindings:
        given = function_ref(binding.key, region, account, ref.partition)
        if given.name != ref.name:
            continue
        is_arn = ":" in binding.key
        if is_arn and (given.region, given.account) != (ref.region, ref.account):
            continue
        if given.qualifier is not None and given.qualifier != ref.qualifier:
            continue
        rank = 3 if given.qualifier is not None else 2 if is_arn else 1
        if best is None or rank > best[0]:
            best = (rank, binding)
    return best[1] if best else None
