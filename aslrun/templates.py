"""State machine definitions inside CloudFormation and SAM templates, and inside a CDK app's ``cdk.out``.

:func:`load_template` reads a template (JSON, or YAML with the short-form tags such as ``!Ref``);
:func:`template_definition` takes one state machine out of it: ``AWS::StepFunctions::StateMachine``
(``Definition``, ``DefinitionString``, ``DefinitionS3Location`` as a local path) or
``AWS::Serverless::StateMachine`` (``Definition``, ``DefinitionUri`` as a local path), with its
``DefinitionSubstitutions`` applied (those given by the caller override them), the way Step Functions'
CloudFormation handler applies them: a text replacement in the definition's JSON text (or in the
file's text before it is parsed).

Intrinsic functions are resolved locally (:class:`Resolver`): ``Ref`` and ``Fn::GetAtt`` of the
template's resources become deterministic fake names and ARNs in the given account and region
(:mod:`aslrun.defaults`), parameters take their ``Default``, pseudo parameters their local values.
Nothing here talks to AWS.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aslrun import defaults
from aslrun.errors import InputError
from aslrun.source import (
    Source,
    parse_json_text,
    parse_yaml_text,
    read_text_file,
    substitute,
    substitution_text,
)

__all__ = [
    "DEFAULT_STACK_NAME",
    "Resolver",
    "TemplateDefinition",
    "TemplateFunction",
    "cdk_template",
    "load_template",
    "read_template_definition",
    "state_machines",
    "template_definition",
]

#: the stack name a template is read as when none is given (``AWS::StackName``, generated names)
DEFAULT_STACK_NAME = "aslrun-local"

STATE_MACHINE_TYPES = ("AWS::StepFunctions::StateMachine", "AWS::Serverless::StateMachine")
FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")


@dataclass(frozen=True)
class TemplateFunction:
    """A Lambda function declared in the template: what a local Lambda runner needs to bind it."""

    logical_id: str
    name: str
    arn: str
    handler: str | None
    runtime: str | None
    code_uri: str | None
    type: str
    #: ``Environment.Variables`` (SAM ``Globals.Function``'s merged under the function's), resolved
    environment: Mapping[str, str] = field(default_factory=dict)
    #: ``Timeout`` (seconds) and ``MemorySize`` (MB), None when the template leaves Lambda's defaults
    timeout: float | None = None
    memory: int | None = None


@dataclass(frozen=True)
class TemplateDefinition:
    """One state machine taken out of a template: its definition text and where it came from."""

    template_path: Path | None
    logical_id: str
    name: str
    text: str
    definition_path: Path | None
    substitutions: dict[str, str]
    state_machines: tuple[str, ...]
    functions: tuple[TemplateFunction, ...] = ()
    notes: tuple[str, ...] = field(default=())


# ---------------------------------------------------------------- reading templates


def _short_form_constructor() -> type:
    """A ruamel safe constructor that reads CloudFormation's short-form tags as their long form."""
    from ruamel.yaml.constructor import SafeConstructor
    from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

    class ShortForm(SafeConstructor):
        def construct_undefined(self, node: Any) -> Any:
            tag = str(node.tag.value if hasattr(node.tag, "value") else node.tag)
            name = tag[1:] if tag.startswith("!") else tag
            if name not in _TAGS:
                from ruamel.yaml.constructor import ConstructorError

                raise ConstructorError(None, None, f"the tag {tag!r} is not a CloudFormation intrinsic function "
                                       f"(known: {', '.join('!' + t for t in sorted(_TAGS))})", node.start_mark)
            if isinstance(node, ScalarNode):
                value: Any = self.construct_scalar(node)
                if name == "GetAtt":
                    value = str(value).split(".", 1)
            elif isinstance(node, SequenceNode):
                value = self.construct_sequence(node, deep=True)
            elif isinstance(node, MappingNode):
                value = self.construct_mapping(node, deep=True)
            else:  # pragma: no cover - ruamel has no other node kinds
                value = None
            return {_TAGS[name]: value}

    ShortForm.add_constructor(None, ShortForm.construct_undefined)
    return ShortForm


_TAGS = {"Ref": "Ref", "Condition": "Condition"} | {
    name: f"Fn::{name}" for name in ("GetAtt", "Sub", "Join", "Select", "Split", "ImportValue", "If", "Equals",
                                     "Not", "And", "Or", "FindInMap", "Base64", "GetAZs", "Cidr", "Transform",
                                     "Length", "ToJsonString")
}


def load_template(path: str | Path) -> dict[str, Any]:
    """Read a CloudFormation/SAM template (JSON or YAML 1.2 with short-form tags such as ``!Ref``)."""
    path = Path(path)
    text = read_text_file(path, "template")
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        value = parse_json_text(text, "template", str(path))
    else:
        value = parse_yaml_text(text, str(path), "template", _short_form_constructor())
    if not isinstance(value, dict) or not isinstance(value.get("Resources"), dict):
        raise InputError(f"{path} is not a CloudFormation template: it has no Resources mapping")
    return value


def cdk_template(cdk_out: str | Path, stack: str | None) -> Path:
    """The template file of ``stack`` in a synthesized CDK cloud assembly (its ``manifest.json``)."""
    root = Path(cdk_out)
    stacks = _cdk_stacks(root)
    if not stacks:
        raise InputError(f"{root} holds no CloudFormation stack (read {root / 'manifest.json'})")
    if stack is None:
        if len(stacks) == 1:
            return next(iter(stacks.values()))
        raise InputError(f"{root} holds {len(stacks)} stacks: say which with --stack NAME "
                         f"(one of: {', '.join(sorted(stacks))})")
    if stack not in stacks:
        raise InputError(f"--stack {stack!r}: no such stack in {root} (its stacks: {', '.join(sorted(stacks))})")
    return stacks[stack]


def _cdk_stacks(root: Path, depth: int = 0) -> dict[str, Path]:
    manifest_path = root / "manifest.json"
    manifest = parse_json_text(read_text_file(manifest_path, "CDK manifest"), "CDK manifest", str(manifest_path))
    stacks: dict[str, Path] = {}
    for artifact_id, artifact in (manifest.get("artifacts") or {}).items():
        props = artifact.get("properties") or {}
        if artifact.get("type") == "aws:cloudformation:stack" and "templateFile" in props:
            path = root / props["templateFile"]
            for alias in {artifact_id, artifact.get("displayName"), props.get("stackName")} - {None}:
                stacks[str(alias)] = path
        elif artifact.get("type") == "cdk:cloud-assembly" and "directoryName" in props and depth < 4:
            stacks.update(_cdk_stacks(root / props["directoryName"], depth + 1))
    return stacks


def state_machines(template: Mapping[str, Any]) -> list[str]:
    """The logical ids of the template's state machines, in template order."""
    return [logical_id for logical_id, resource in template["Resources"].items()
            if isinstance(resource, dict) and resource.get("Type") in STATE_MACHINE_TYPES]


# ---------------------------------------------------------------- intrinsic functions


def _physical_suffix(stack: str, logical_id: str) -> str:
    digest = hashlib.sha256(f"{stack}/{logical_id}".encode()).hexdigest().upper()
    return digest[:12]


#: type → (name property, Ref gives the name (True) or the ARN (False), ARN format)
_RESOURCES: dict[str, tuple[str | None, bool, str]] = {
    "AWS::Lambda::Function": ("FunctionName", True, "arn:{p}:lambda:{r}:{a}:function:{n}"),
    "AWS::Serverless::Function": ("FunctionName", True, "arn:{p}:lambda:{r}:{a}:function:{n}"),
    "AWS::StepFunctions::StateMachine": ("StateMachineName", False, "arn:{p}:states:{r}:{a}:stateMachine:{n}"),
    "AWS::Serverless::StateMachine": ("Name", False, "arn:{p}:states:{r}:{a}:stateMachine:{n}"),
    "AWS::StepFunctions::Activity": ("Name", False, "arn:{p}:states:{r}:{a}:activity:{n}"),
    "AWS::SNS::Topic": ("TopicName", False, "arn:{p}:sns:{r}:{a}:{n}"),
    "AWS::SQS::Queue": ("QueueName", False, "arn:{p}:sqs:{r}:{a}:{n}"),
    "AWS::DynamoDB::Table": ("TableName", True, "arn:{p}:dynamodb:{r}:{a}:table/{n}"),
    "AWS::Serverless::SimpleTable": ("TableName", True, "arn:{p}:dynamodb:{r}:{a}:table/{n}"),
    "AWS::S3::Bucket": ("BucketName", True, "arn:{p}:s3:::{n}"),
    "AWS::IAM::Role": ("RoleName", True, "arn:{p}:iam::{a}:role/{n}"),
    "AWS::Events::EventBus": ("Name", True, "arn:{p}:events:{r}:{a}:event-bus/{n}"),
    "AWS::ECS::Cluster": ("ClusterName", True, "arn:{p}:ecs:{r}:{a}:cluster/{n}"),
    "AWS::ECS::TaskDefinition": ("Family", False, "arn:{p}:ecs:{r}:{a}:task-definition/{n}:1"),
    "AWS::EKS::Cluster": ("Name", True, "arn:{p}:eks:{r}:{a}:cluster/{n}"),
    "AWS::Batch::JobQueue": ("JobQueueName", False, "arn:{p}:batch:{r}:{a}:job-queue/{n}"),
    "AWS::Batch::JobDefinition": ("JobDefinitionName", False, "arn:{p}:batch:{r}:{a}:job-definition/{n}:1"),
    "AWS::Logs::LogGroup": ("LogGroupName", True, "arn:{p}:logs:{r}:{a}:log-group:{n}:*"),
    "AWS::Glue::Job": ("Name", True, "arn:{p}:glue:{r}:{a}:job/{n}"),
    "AWS::Kinesis::Stream": ("Name", True, "arn:{p}:kinesis:{r}:{a}:stream/{n}"),
}

_NOT_LOCAL = ("Fn::Base64", "Fn::GetAZs", "Fn::Cidr", "Fn::Transform", "Fn::Length", "Fn::ToJsonString")


class Resolver:
    """Resolves a template's intrinsic functions locally, with deterministic fake names and ARNs."""

    def __init__(self, template: Mapping[str, Any], *, account: str = defaults.ACCOUNT_ID,
                 region: str = defaults.REGION, partition: str = defaults.PARTITION,
                 stack_name: str = DEFAULT_STACK_NAME) -> None:
        self.template = template
        self.resources: Mapping[str, Any] = template.get("Resources") or {}
        self.account, self.region, self.partition, self.stack_name = account, region, partition, stack_name
        self.notes: list[str] = []
        self._functions: dict[str, Callable[[Any], Any]] = {
            "Ref": self._ref, "Fn::GetAtt": self._get_att, "Fn::Sub": self._sub, "Fn::Join": self._join,
            "Fn::Select": self._select, "Fn::Split": self._split, "Fn::ImportValue": self._import_value,
            "Fn::If": self._if, "Fn::FindInMap": self._find_in_map, "Condition": self._condition_value,
            "Fn::Equals": self._equals, "Fn::Not": self._not, "Fn::And": self._and, "Fn::Or": self._or,
        }

    # -------------------------------------------------------- walking values

    def resolve(self, value: Any) -> Any:
        """``value`` with every intrinsic function replaced by its local value (``AWS::NoValue`` dropped)."""
        if isinstance(value, dict):
            if len(value) == 1:
                (key, arg), = value.items()
                if key in self._functions:
                    return self._functions[key](arg)
                if key in _NOT_LOCAL:
                    raise InputError(f"{key} cannot be resolved locally; write the value it stands for instead")
            resolved = {k: self.resolve(v) for k, v in value.items()}
            return {k: v for k, v in resolved.items() if v is not _NO_VALUE}
        if isinstance(value, list):
            return [v for v in (self.resolve(item) for item in value) if v is not _NO_VALUE]
        return value

    def text(self, value: Any, where: str) -> str:
        """``value`` resolved; it must be a string (or a number or boolean, written as JSON writes them)."""
        resolved = self.resolve(value)
        if isinstance(resolved, bool):
            return "true" if resolved else "false"
        if isinstance(resolved, (str, int, float)):
            return str(resolved)
        raise InputError(f"{where} must resolve to a string, not {json.dumps(resolved)[:80]}")

    # -------------------------------------------------------- names and ARNs

    def physical_name(self, logical_id: str) -> str:
        """The resource's name: its name property, else ``STACK-LogicalId-SUFFIX`` as CloudFormation makes one."""
        resource = self.resources[logical_id]
        prop = _RESOURCES.get(resource.get("Type", ""), (None, True, ""))[0]
        props = resource.get("Properties") or {}
        if prop and prop in props:
            return self.text(props[prop], f"{logical_id}.{prop}")
        name = f"{self.stack_name}-{logical_id}-{_physical_suffix(self.stack_name, logical_id)}"
        if resource.get("Type") == "AWS::S3::Bucket":
            name = name.lower()
        if resource.get("Type") == "AWS::SQS::Queue" and props.get("FifoQueue") is True:
            name += ".fifo"
        return name

    def arn(self, logical_id: str) -> str:
        """The resource's fake ARN in this account, region and partition."""
        kind = self.resources[logical_id].get("Type", "")
        fmt = _RESOURCES.get(kind, (None, True, ""))[2]
        name = self.physical_name(logical_id)
        if not fmt:
            service = kind.split("::")[1].lower() if kind.count("::") == 2 else "unknown"
            fmt = f"arn:{{p}}:{service}:{{r}}:{{a}}:{kind.split('::')[-1].lower()}/{{n}}"
        return fmt.format(p=self.partition, r=self.region, a=self.account, n=name)

    def _pseudo(self, name: str) -> Any:
        values = {"AWS::Region": self.region, "AWS::AccountId": self.account, "AWS::Partition": self.partition,
                  "AWS::StackName": self.stack_name, "AWS::URLSuffix": "amazonaws.com",
                  "AWS::StackId": f"arn:{self.partition}:cloudformation:{self.region}:{self.account}:stack/"
                                  f"{self.stack_name}/00000000-0000-0000-0000-000000000000",
                  "AWS::NotificationARNs": [], "AWS::NoValue": _NO_VALUE}
        return values[name] if name in values else None

    def _ref(self, name: Any) -> Any:
        name = str(name)
        if name.startswith("AWS::"):
            value = self._pseudo(name)
            if value is None:
                raise InputError(f"Ref {name}: not a pseudo parameter aslrun knows")
            return value
        parameters = self.template.get("Parameters") or {}
        if name in parameters:
            return self._parameter(name, parameters[name] or {})
        if name in self.resources:
            kind = self.resources[name].get("Type", "")
            if kind == "AWS::SQS::Queue":
                return f"https://sqs.{self.region}.amazonaws.com/{self.account}/{self.physical_name(name)}"
            gives_name = _RESOURCES.get(kind, (None, True, ""))[1]
            return self.physical_name(name) if gives_name else self.arn(name)
        raise InputError(f"Ref {name}: no parameter or resource of that name in the template")

    def _parameter(self, name: str, spec: Mapping[str, Any]) -> Any:
        if "Default" in spec:
            value = spec["Default"]
        else:
            self.notes.append(f"parameter {name} has no Default: its value is taken to be {name!r}")
            value = name
        if str(spec.get("Type", "")).startswith(("CommaDelimitedList", "List<")) and isinstance(value, str):
            return [item.strip() for item in value.split(",")]
        return value if isinstance(value, str) else str(value)

    def _get_att(self, arg: Any) -> Any:
        if isinstance(arg, str):
            arg = arg.split(".", 1)
        if not isinstance(arg, list) or len(arg) != 2:
            raise InputError(f"Fn::GetAtt takes [LogicalId, Attribute], not {arg!r}")
        logical_id, attribute = str(arg[0]), str(self.resolve(arg[1]))
        if logical_id not in self.resources:
            raise InputError(f"Fn::GetAtt {logical_id}.{attribute}: no resource {logical_id!r} in the template")
        name = self.physical_name(logical_id)
        if attribute in ("Arn", "TopicArn", "QueueArn", "StateMachineArn"):
            return self.arn(logical_id)
        if attribute in ("Name", "TopicName", "QueueName", "StateMachineName"):
            return name
        if attribute == "QueueUrl":
            return f"https://sqs.{self.region}.amazonaws.com/{self.account}/{name}"
        if attribute == "StreamArn":
            return f"{self.arn(logical_id)}/stream/1970-01-01T00:00:00.000"
        if attribute == "Endpoint":
            return f"https://{name.lower()}.{self.region}.eks.amazonaws.com"
        return f"{name}.{attribute}"

    # -------------------------------------------------------- string functions

    def _sub(self, arg: Any) -> str:
        template, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1] if len(arg) > 1 else {})
        values = {key: self.text(value, f"Fn::Sub variable {key}") for key, value in variables.items()}

        def replace(match: re.Match[str]) -> str:
            inner = match.group(1)
            if inner.startswith("!"):
                return "${" + inner[1:] + "}"
            if inner in values:
                return values[inner]
            if "." in inner and not inner.startswith("AWS::"):
                return self.text(self._get_att(inner.split(".", 1)), f"Fn::Sub ${{{inner}}}")
            return self.text(self._ref(inner), f"Fn::Sub ${{{inner}}}")

        return re.sub(r"\$\{([^}]*)\}", replace, str(template))

    def _join(self, arg: Any) -> str:
        delimiter, items = arg
        items = self.resolve(items)
        return str(delimiter).join(self.text(item, "an Fn::Join item") for item in items)

    def _select(self, arg: Any) -> Any:
        index, items = self.resolve(arg[0]), self.resolve(arg[1])
        return items[int(index)]

    def _split(self, arg: Any) -> list[str]:
        delimiter, source = arg
        return self.text(source, "Fn::Split's string").split(str(delimiter))

    def _import_value(self, arg: Any) -> str:
        name = self.text(arg, "Fn::ImportValue")
        self.notes.append(f"Fn::ImportValue {name}: another stack's export is not known locally; "
                          f"its value is taken to be {name!r}")
        return name

    def _find_in_map(self, arg: Any) -> Any:
        mapping, first, second = (self.text(a, "Fn::FindInMap") for a in arg[:3])
        try:
            return self.resolve(self.template["Mappings"][mapping][first][second])
        except (KeyError, TypeError):
            raise InputError(f"Fn::FindInMap [{mapping}, {first}, {second}]: no such entry in Mappings") from None

    # -------------------------------------------------------- conditions

    def _condition_value(self, name: Any) -> bool:
        conditions = self.template.get("Conditions") or {}
        if name not in conditions:
            raise InputError(f"Condition {name!r}: no such condition in the template")
        return bool(self.resolve(conditions[name]))

    def _if(self, arg: Any) -> Any:
        name, when_true, when_false = arg
        return self.resolve(when_true if self._condition_value(name) else when_false)

    def _equals(self, arg: Any) -> bool:
        left, right = self.resolve(arg[0]), self.resolve(arg[1])
        return str(left) == str(right)

    def _not(self, arg: Any) -> bool:
        return not self.resolve(arg[0])

    def _and(self, arg: Any) -> bool:
        return all(self.resolve(item) for item in arg)

    def _or(self, arg: Any) -> bool:
        return any(self.resolve(item) for item in arg)


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


_NO_VALUE = _NoValue()


# ---------------------------------------------------------------- taking a definition out


def template_definition(template: Mapping[str, Any], logical_id: str | None = None, *,
                        base_dir: Path | None = None, template_path: Path | None = None,
                        substitutions: Mapping[str, Any] | None = None, account: str = defaults.ACCOUNT_ID,
                        region: str = defaults.REGION, partition: str = defaults.PARTITION,
                        stack_name: str = DEFAULT_STACK_NAME) -> TemplateDefinition:
    """The definition text of one state machine of ``template``, substitutions applied.

    ``logical_id`` may be left out when the template has one state machine. ``substitutions`` (the
    caller's) override the template's own ``DefinitionSubstitutions``. Local paths
    (``DefinitionUri``, ``DefinitionS3Location``) are relative to ``base_dir``.
    """
    machines = state_machines(template)
    where = f" in {template_path}" if template_path else ""
    if not machines:
        raise InputError(f"no state machine{where}: no AWS::StepFunctions::StateMachine or "
                         "AWS::Serverless::StateMachine resource")
    if logical_id is None:
        if len(machines) > 1:
            raise InputError(f"{len(machines)} state machines{where}: say which with --state-machine LOGICAL_ID "
                             f"(one of: {', '.join(machines)})")
        logical_id = machines[0]
    elif logical_id not in machines:
        raise InputError(f"--state-machine {logical_id!r}: no such state machine{where} "
                         f"(its state machines: {', '.join(machines)})")
    resolver = Resolver(template, account=account, region=region, partition=partition, stack_name=stack_name)
    resource = template["Resources"][logical_id]
    props = resource.get("Properties") or {}
    subs = {key: resolver.text(value, f"{logical_id}.DefinitionSubstitutions.{key}")
            for key, value in (resolver.resolve(props.get("DefinitionSubstitutions")) or {}).items()}
    subs.update(substitution_text(substitutions or {}))
    text, path = _definition_text(resolver, logical_id, resource["Type"], props, base_dir or Path.cwd())
    return TemplateDefinition(
        template_path=template_path, logical_id=logical_id, name=_given_name(resolver, logical_id),
        text=substitute(text, subs), definition_path=path, substitutions=subs, state_machines=tuple(machines),
        functions=tuple(_functions(resolver)), notes=tuple(resolver.notes),
    )


def _given_name(resolver: Resolver, logical_id: str) -> str:
    """The state machine's name property when the template gives one, else its logical id."""
    prop = "Name" if resolver.resources[logical_id]["Type"] == "AWS::Serverless::StateMachine" else "StateMachineName"
    given = (resolver.resources[logical_id].get("Properties") or {}).get(prop)
    return resolver.text(given, f"{logical_id}.{prop}") if given is not None else logical_id


def _definition_text(resolver: Resolver, logical_id: str, kind: str, props: Mapping[str, Any],
                     base_dir: Path) -> tuple[str, Path | None]:
    """The definition as text (JSON text for an object, the file's text for a local path)."""
    serverless = kind == "AWS::Serverless::StateMachine"
    fields = ("Definition", "DefinitionUri") if serverless else (
        "Definition", "DefinitionString", "DefinitionS3Location")
    given = [name for name in fields if name in props]
    if len(given) != 1:
        raise InputError(f"{logical_id}: a state machine needs exactly one of {', '.join(fields)} "
                         f"({'none' if not given else ', '.join(given)} given)")
    (field_name,) = given
    value = props[field_name]
    if field_name == "Definition":
        return json.dumps(resolver.resolve(value), indent=2, ensure_ascii=False), None
    if field_name == "DefinitionString":
        return resolver.text(value, f"{logical_id}.DefinitionString"), None
    location = resolver.resolve(value)
    if isinstance(location, dict):
        key = location.get("Key")
        if not isinstance(key, str) or not (base_dir / key).is_file():
            raise InputError(f"{logical_id}.{field_name} names an S3 object ({location.get('Bucket')}/{key}); "
                             "aslrun reads only local files: give the definition file's path instead")
        location = key
    if not isinstance(location, str):
        raise InputError(f"{logical_id}.{field_name} must be a local path or an S3 location")
    path = base_dir / location
    return read_text_file(path, "definition"), path


def _functions(resolver: Resolver) -> list[TemplateFunction]:
    """The template's Lambda functions, with what a local runner needs (handler, runtime, code)."""
    template = resolver.template
    globals_ = ((template.get("Globals") or {}).get("Function") or {})
    found = []
    for logical_id, resource in resolver.resources.items():
        if not isinstance(resource, dict) or resource.get("Type") not in FUNCTION_TYPES:
            continue
        props = {**globals_, **(resource.get("Properties") or {})}
        code = props.get("CodeUri", props.get("Code"))
        asset = (resource.get("Metadata") or {}).get("aws:asset:path")
        code_uri = code if isinstance(code, str) else asset if isinstance(asset, str) else None
        timeout, memory = (_number(resolver, props.get(key)) for key in ("Timeout", "MemorySize"))
        found.append(TemplateFunction(
            logical_id=logical_id, name=resolver.physical_name(logical_id), arn=resolver.arn(logical_id),
            handler=props.get("Handler") if isinstance(props.get("Handler"), str) else None,
            runtime=props.get("Runtime") if isinstance(props.get("Runtime"), str) else None,
            code_uri=code_uri, type=resource["Type"],
            environment=_variables(resolver, logical_id, globals_.get("Environment"),
                                   (resource.get("Properties") or {}).get("Environment")),
            timeout=timeout, memory=int(memory) if memory is not None else None,
        ))
    return found


def _number(resolver: Resolver, value: Any) -> float | None:
    """A ``Timeout``/``MemorySize`` (a number, a numeric string or an intrinsic giving one), else None."""
    try:
        value = resolver.resolve(value)
        return None if value is None or isinstance(value, bool) else float(value)
    except (InputError, TypeError, ValueError):
        return None


def _variables(resolver: Resolver, logical_id: str, *environments: Any) -> dict[str, str]:
    """``Environment.Variables`` of the globals then the function (the function's win), resolved to text."""
    found: dict[str, str] = {}
    for environment in environments:
        variables = environment.get("Variables") if isinstance(environment, dict) else None
        for name, value in (variables or {}).items() if isinstance(variables, dict) else ():
            try:
                value = resolver.resolve(value)
            except InputError as exc:
                resolver.notes.append(f"{logical_id}: environment variable {name} left out: {exc}")
                continue
            if value is _NO_VALUE:
                continue
            found[str(name)] = _variable_text(value)
    return found


def _variable_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def read_template_definition(template: str | Path | None = None, logical_id: str | None = None, *,
                             cdk_out: str | Path | None = None, stack: str | None = None,
                             substitutions: Mapping[str, Any] | None = None, **where: Any) -> Source:
    """Read one state machine out of a template file (or a cdk.out's stack) as a :class:`Source`.

    ``where`` passes ``account``, ``region``, ``partition`` and ``stack_name`` on to
    :func:`template_definition`. The source's ``template`` says where the definition came from,
    with the template's Lambda functions.
    """
    if (template is None) == (cdk_out is None):
        raise InputError("give a template file or a cdk.out directory (one of them)")
    if cdk_out is not None:
        path = cdk_template(cdk_out, stack)
        where.setdefault("stack_name", stack or path.name.split(".")[0])
    else:
        path = Path(str(template))
    found = template_definition(load_template(path), logical_id, base_dir=path.parent, template_path=path,
                                substitutions=substitutions, **where)
    label = f"{path}#{found.logical_id}"
    suffix = found.definition_path.suffix.lower() if found.definition_path else ".json"
    if suffix in (".yaml", ".yml") or (suffix not in (".json",) and not found.text.lstrip().startswith("{")):
        value = parse_yaml_text(found.text, label)
    else:
        value = parse_json_text(found.text, "definition", label)
    return Source(value, found.text, label, found.definition_path, template=found)
