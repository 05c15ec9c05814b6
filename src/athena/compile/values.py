"""Values files (DESIGN §3.5): deployment-time overrides of decorator arguments, merged the way Helm merges.

A values file is YAML::

    namespace: ml                # metadata.namespace of every document (``emit --namespace`` wins)
    defaults:                    # every @container, under its own decorator arguments
      resources: {cpu: 500m, memory: 1Gi}
    containers:
      train:                     # one @container: function name, module:function, or template name
        resources: {gpu: 1}
    workflows:
      pipeline:                  # one @workflow
        schedule: "0 4 * * *"

Each option is written as the decorator argument's value in plain data (:data:`FORMS` derives the form from
the option table's ``kinds``): a record (``Retry``, ``Resources``…) is a mapping of its fields, and a value
that may be one of several records (a volume, an ``env_from`` source, a secret ``env`` value) is a mapping
whose one tag key is the class name in snake_case holding its first argument
(``{existing_claim: datasets, mount: /data}``).

Layers, lowest first: ``defaults``, the decorator, then ``containers.<name>`` / ``workflows.<name>``; files
merge in the order given. Mappings merge key by key; lists and scalars replace; ``null`` deletes the key
(an option set to ``null`` is as if the decorator had not given it). Inside ``security_context``,
``pod_security_context`` and ``pod_spec_patch`` a ``null`` is kept: it removes one of athena's defaults (or,
in a patch, a field of the pod), as it does when written in the decorator.

Every value goes through the option's own validator, so a values file is checked exactly as the decorator
is; a problem is reported as ``file:line: key.path: message``.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import types
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec

from athena import option_types
from athena.compile.options import OPTIONS, OptionInvalid, TemplateOptions, Validated, options_for
from athena.errors import ConfigError

if TYPE_CHECKING:
    from athena.decorators import Template

__all__ = ["FORMS", "Effective", "Origin", "Values", "ValuesError", "explain", "load_values", "values_schema"]

TOP_KEYS = ("namespace", "defaults", "containers", "workflows")
# Options a values file does not set: the template's identity and shape, and a reference to Python code.
EXCLUDED = {
    "name": "a template's name is its identity: values files address templates by it",
    "steps": "changes how the body compiles, not how it is deployed",
    "on_exit_if_root": "names a Python function, which a YAML file cannot",
    # sidecars= (issue 13)
    "sidecars": "a sidecar is part of what the step's code talks to (on localhost), not a deployment setting",
}
# Free-form objects in which null is data (it deletes one of athena's defaults, or a pod field in a patch).
KEEP_NULLS = frozenset({"security_context", "pod_security_context", "pod_spec_patch"})


class ValuesError(ConfigError):
    """Values files that do not fit their schema; the message lists every problem with file, line and key."""


# ------------------------------------------------------------------------------------------- provenance


class Origin(msgspec.Struct, frozen=True):
    """Where a value came from: a values file (with its line), or a template's decorator."""

    file: str
    line: int | None
    path: str  # the key path in that file, e.g. "containers.train.resources.gpu"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else self.file


class Leaf(msgspec.Struct, frozen=True):
    value: Any  # a scalar, a list (plain data), or None
    origin: Origin


class Tree(dict[str, Any]):
    """A mapping of a values file (str -> Tree | Leaf) that remembers where its key was written."""

    __slots__ = ("origin",)

    def __init__(self, items: Mapping[str, Any], origin: Origin) -> None:
        super().__init__(items)
        self.origin = origin


def _tree(value: Any, origin: Callable[[str], Origin], path: str) -> Tree | Leaf:
    if isinstance(value, Mapping):
        return Tree({str(k): _tree(v, origin, f"{path}.{k}" if path else str(k)) for k, v in value.items()},
                    origin(path))
    return Leaf(value, origin(path))


def plain(node: Tree | Leaf) -> Any:
    if isinstance(node, Leaf):
        return node.value
    return {k: plain(v) for k, v in node.items()}


def leaves(node: Tree | Leaf, prefix: str = "") -> Iterator[tuple[str, Any, Origin]]:
    """(key path, value, origin) of every leaf, in order."""
    if isinstance(node, Leaf):
        yield prefix, node.value, node.origin
        return
    for k, v in node.items():
        yield from leaves(v, f"{prefix}.{k}" if prefix else k)


def merge(base: Tree | Leaf | None, over: Tree | Leaf, *, keep_nulls: bool = False) -> Tree | Leaf | None:
    """``over`` on ``base``, Helm's way: mappings merge, anything else replaces, ``null`` deletes (returns None)."""
    if isinstance(over, Leaf):
        if over.value is None and not keep_nulls:
            return None
        return over
    out = Tree(base if isinstance(base, Tree) else {}, over.origin)
    for k, v in over.items():
        merged = merge(out.get(k), v, keep_nulls=keep_nulls)
        if merged is None:
            out.pop(k, None)
        else:
            out[k] = merged
    return out


def _merge_files(base: Tree, over: Tree) -> Tree:
    """Two files' trees: like :func:`merge`, but a ``null`` stays (it must still delete a decorator's value)."""
    out = Tree(base, over.origin)
    for k, v in over.items():
        b = out.get(k)
        out[k] = _merge_files(b, v) if isinstance(v, Tree) and isinstance(b, Tree) else v
    return out


# ------------------------------------------------------------------------------------------------- forms


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _fields(cls: type) -> list[dataclasses.Field[Any]]:
    return list(dataclasses.fields(cls))


def _annotation_schema(text: str) -> dict[str, Any]:
    """A JSON Schema for one dataclass field's annotation (the few forms option_types uses)."""
    parts = [p.strip() for p in re.split(r"\|(?![^\[]*\])", text)]
    out: list[dict[str, Any]] = []
    for p in parts:
        if p in ("int", "float", "str", "bool", "None"):
            out.append({"type": {"int": "integer", "float": "number", "str": "string", "bool": "boolean",
                                 "None": "null"}[p]})
        elif p.startswith("Literal["):
            out.append({"enum": re.findall(r'"([^"]*)"', p)})
        elif p.startswith("Sequence["):
            out.append({"type": "array", "items": _annotation_schema(p[len("Sequence["):-1])})
        elif p.startswith("Mapping[str, "):
            out.append({"type": "object", "additionalProperties": _annotation_schema(p[len("Mapping[str, "):-1])})
        else:
            out.append({})
    if len(out) == 1:
        return out[0]
    return {"anyOf": out}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or null (null deletes a key anywhere in a values file)."""
    return {"anyOf": [schema, {"type": "null"}]}


def _record_schema(cls: type, *, tag: str | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {}
    required: list[str] = []
    for i, f in enumerate(_fields(cls)):
        key = tag if (tag is not None and i == 0) else f.name
        props[key] = _nullable(_annotation_schema(str(f.type)))
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            required.append(key)
    schema: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        schema["required"] = required
    if cls.__doc__:
        schema["description"] = cls.__doc__.strip().splitlines()[0]
    return schema


def _to_plain(value: Any) -> Any:
    if isinstance(value, str | bytes):
        return value
    if isinstance(value, Mapping):
        return {str(k): _to_plain(v) for k, v in value.items()}
    if isinstance(value, Sequence):
        return [_to_plain(v) for v in value]
    return value


def _record(cls: type, *, tag: str | None = None) -> tuple[Callable[[Any], Any], Callable[[Any], Any]]:
    """Load/dump between a mapping of fields (the first one under ``tag`` when given) and ``cls``."""
    fields = _fields(cls)
    names = [tag if (tag is not None and i == 0) else f.name for i, f in enumerate(fields)]

    def load(value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise ValueError(f"must be a mapping of {', '.join(names)}, got {value!r}")
        unknown = [k for k in value if k not in names]
        if unknown:
            close = difflib.get_close_matches(str(unknown[0]), names, n=1)
            raise ValueError(f"unknown key `{unknown[0]}`" + (f" (did you mean `{close[0]}`?)" if close else
                                                                f"; keys: {', '.join(names)}"))
        kwargs: dict[str, Any] = {}
        for f, key in zip(fields, names, strict=True):
            if key in value and value[key] is not None:
                kwargs[f.name] = value[key]
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ValueError(f"needs `{key}`")
        return cls(**kwargs)

    def dump(value: Any) -> Any:
        if not isinstance(value, cls):
            return value  # not this record: the validator says what is wrong with it
        out: dict[str, Any] = {}
        for f, key in zip(fields, names, strict=True):
            v = getattr(value, f.name)
            default = f.default if f.default is not dataclasses.MISSING else None
            if key == tag or v != default:
                out[key] = _to_plain(v)
        return out

    return load, dump


class Form(msgspec.Struct, frozen=True):
    """How one option is written in a values file."""

    schema: dict[str, Any]
    load: Callable[[Any], Any]  # plain data -> the decorator's value (ValueError says what is wrong)
    dump: Callable[[Any], Any]  # the decorator's value -> plain data (to merge values over it)


def _same(schema: dict[str, Any]) -> Form:
    return Form(schema, lambda v: v, _to_plain)


def _one_of(classes: Sequence[type], *, plain_text: bool = False) -> Form:
    """A value that is one of ``classes``: a mapping tagged with the class name in snake_case (or, with
    ``plain_text``, a string)."""
    by_tag = {_snake(c.__name__): (c, *_record(c, tag=_snake(c.__name__))) for c in classes}
    variants: list[dict[str, Any]] = [_record_schema(c, tag=t) | {"required": [t]}
                                      for t, (c, _, _) in by_tag.items()]
    if plain_text:
        variants.insert(0, {"type": "string"})

    def load(value: Any) -> Any:
        if plain_text and isinstance(value, str):
            return value
        if not isinstance(value, Mapping):
            raise ValueError(f"must be a mapping with one of {', '.join(by_tag)}, got {value!r}")
        tags = [k for k in value if k in by_tag]
        if len(tags) != 1:
            unknown = [str(k) for k in value if k not in by_tag]
            close = difflib.get_close_matches(unknown[0], list(by_tag), n=1) if unknown and not tags else []
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            raise ValueError(f"needs exactly one of {', '.join(f'`{t}`' for t in by_tag)}{hint}, got "
                             f"{', '.join(f'`{k}`' for k in value) or 'an empty mapping'}")
        return by_tag[tags[0]][1](value)

    def dump(value: Any) -> Any:
        for _, (c, _, d) in by_tag.items():
            if isinstance(value, c):
                return d(value)
        return _to_plain(value)

    return Form({"oneOf": variants}, load, dump)


def _list(item: Form) -> Form:
    def load(value: Any) -> Any:
        if not isinstance(value, list):
            raise ValueError(f"must be a list, got {value!r}")
        out = []
        for i, v in enumerate(value):
            try:
                out.append(item.load(v))
            except ValueError as e:
                raise ValueError(f"[{i}]: {e}") from None
        return out

    return Form({"type": "array", "items": item.schema}, load,
                lambda v: [item.dump(x) for x in v] if isinstance(v, Sequence) and not isinstance(v, str) else v)


def _map(item: Form) -> Form:
    def load(value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise ValueError(f"must be a mapping, got {value!r}")
        out = {}
        for k, v in value.items():
            try:
                out[k] = item.load(v)
            except ValueError as e:
                raise ValueError(f"{k}: {e}") from None
        return out

    return Form({"type": "object", "additionalProperties": _nullable(item.schema)}, load,
                lambda v: {k: item.dump(x) for k, x in v.items()} if isinstance(v, Mapping) else v)


def _record_form(cls: type) -> Form:
    load, dump = _record(cls)
    return Form(_record_schema(cls), load, dump)


_SCALARS: dict[str, dict[str, Any]] = {
    "str": {"type": "string"}, "int": {"type": "integer"}, "bool": {"type": "boolean"},
}


def _form(kinds: tuple[str, ...]) -> Form | None:
    """The values-file form of an option from its ``kinds`` (the decorator overloads' spelling), or None."""
    if all(k in _SCALARS for k in kinds):
        schemas = [_SCALARS[k] for k in kinds]
        return _same(schemas[0] if len(schemas) == 1 else {"anyOf": schemas})
    if kinds == ("str", "Sequence[str]"):
        return _same({"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]})
    if kinds == ("Sequence[str]",):
        return _same({"type": "array", "items": {"type": "string"}})
    if kinds == ("Mapping[str, str]",):
        return _map(_same({"type": "string"}))
    if set(kinds) <= {"Mapping[str, Any]", "str"}:
        schema: dict[str, Any] = {"type": "object"}
        return _same({"anyOf": [schema, {"type": "string"}]} if "str" in kinds else schema)
    if len(kinds) == 1:
        kind = kinds[0]
        one = getattr(option_types, kind, None)
        if isinstance(one, type) and dataclasses.is_dataclass(one):
            return _record_form(one)
        m = re.fullmatch(r"Sequence\[(.+)\]", kind)
        if m:
            names = _class_names(m.group(1))
            if names is not None and len(names) == 1:
                return _list(_record_form(names[0]))
            if names is not None:
                return _list(_one_of(names))
        m = re.fullmatch(r"Mapping\[str, str \| (.+)\]", kind)
        if m:
            names = _class_names(m.group(1))
            if names is not None:
                return _map(_one_of(names, plain_text=True))
    return None


def _class_names(text: str) -> list[type] | None:
    out: list[type] = []
    for name in (p.strip() for p in text.split("|")):
        value = getattr(option_types, name, None)
        if isinstance(value, types.UnionType):  # an alias such as Volume = ExistingClaim | WorkflowClaim | ...
            out += list(value.__args__)
        elif isinstance(value, type) and dataclasses.is_dataclass(value):
            out.append(value)
        else:
            return None
    return out


def _image_user() -> Form:
    """``run_as_user``: a UID, or ``image`` for the decorator's explicit ``None`` (a null in a file deletes)."""

    def load(value: Any) -> Any:
        return None if value == IMAGE_USER else value

    return Form({"anyOf": [{"type": "integer"}, {"const": IMAGE_USER}]}, load,
                lambda v: IMAGE_USER if v is None else v)


IMAGE_USER = "image"
# Options whose form the kinds do not give: an explicit None is a value there (OptionSpec.none_is_value).
_SPECIAL: dict[str, Callable[[], Form]] = {"run_as_user": _image_user}

FORMS: dict[str, Form] = {
    name: form for name, spec in OPTIONS.items()
    if name not in EXCLUDED and (form := _SPECIAL[name]() if name in _SPECIAL else _form(spec.kinds)) is not None}


def values_schema() -> dict[str, Any]:
    """A JSON Schema (2020-12) of values files, generated from the option table; unknown keys are rejected."""

    def section(kind: str) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": False,
                "properties": {n: _nullable(FORMS[n].schema) | {"description": _describe(n)}
                               for n in options_for(kind) if n in FORMS}}

    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://athena.dev/schemas/values.json",
        "title": "athena values file",
        "type": "object",
        "additionalProperties": False,
        "$defs": {"container": section("container"), "workflow": section("workflow")},
        "properties": {
            "namespace": {"type": "string", "description": "metadata.namespace of every emitted document"},
            "defaults": {"$ref": "#/$defs/container",
                         "description": "every @container, under its own decorator arguments"},
            "containers": {"type": "object", "additionalProperties": {"$ref": "#/$defs/container"},
                           "description": "one @container each, by function name, module:function or "
                                          "template name"},
            "workflows": {"type": "object", "additionalProperties": {"$ref": "#/$defs/workflow"},
                          "description": "one @workflow each, by function name, module:function or "
                                         "template name"},
        },
    }


def _describe(name: str) -> str:
    spec = OPTIONS[name]
    return f"the `{name}=` argument of @{'container/@workflow' if spec.where == 'both' else spec.where}"


# ------------------------------------------------------------------------------------------------ loading


def _read(path: Path) -> Tree:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ValuesError(f"{path}: cannot read the values file: {e.strerror or e}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ValuesError(f"{where}: not valid YAML: {getattr(e, 'problem', None) or e}") from None
    if node is None:
        return Tree({}, Origin(str(path), None, ""))  # an empty file sets nothing
    loader = yaml.SafeLoader("")
    lines: dict[str, int] = {}

    def walk(n: Any, key_path: str) -> Any:
        lines.setdefault(key_path, n.start_mark.line + 1)  # a key's own line, not its value's
        if isinstance(n, yaml.MappingNode):
            out: dict[str, Any] = {}
            for k, v in n.value:
                key = loader.construct_object(k, deep=True)
                child = f"{key_path}.{key}" if key_path else str(key)
                lines[child] = k.start_mark.line + 1
                out[str(key)] = walk(v, child)
            return out
        return loader.construct_object(n, deep=True)

    try:
        data = walk(node, "")
    except yaml.YAMLError as e:
        raise ValuesError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise ValuesError(f"{path}:1: a values file is a mapping with the keys {', '.join(TOP_KEYS)}")
    tree = _tree(data, lambda p: Origin(str(path), lines.get(p), p), "")
    assert isinstance(tree, Tree)
    return tree


class Effective(msgspec.Struct, frozen=True):
    """One template's options after the values files: what the compiler uses, and where each came from."""

    raw: dict[str, Any]  # the decorator's keywords with the values applied (what validation saw)
    validated: Validated
    trees: dict[str, Tree | Leaf]  # per option: the merged plain value with the origin of every leaf


class Values:
    """Values files, merged and checked against the schema; :meth:`effective` applies them to a template."""

    def __init__(self, tree: Tree, files: Sequence[str]) -> None:
        self.tree = tree
        self.files = tuple(files)
        self.used: set[tuple[str, str]] = set()
        self.known: dict[str, list[str]] = {"containers": [], "workflows": []}  # what compiled templates answer to
        self.templates: dict[str, Template[Any, Any]] = {}  # every template seen, by template name
        self._cache: dict[int, Effective | None] = {}

    @property
    def namespace(self) -> str | None:
        node = self.tree.get("namespace")
        return node.value if isinstance(node, Leaf) and isinstance(node.value, str) else None

    def _named(self, t: Template[Any, Any], template_name: str) -> tuple[str, Tree] | None:
        section = "containers" if t.kind == "container" else "workflows"
        named = self.tree.get(section)
        if not isinstance(named, dict):
            return None
        keys = [k for k in (t.fn.__name__, t.fn.__qualname__, t.entry, template_name) if k in named]
        keys = list(dict.fromkeys(keys))
        if len(keys) > 1:
            raise ValuesError(f"{named[keys[0]].origin}: {section}: {', '.join(f'`{k}`' for k in keys)} all name "
                              f"`{t.entry}`; keep one")
        if not keys:
            return None
        self.used.add((section, keys[0]))
        node = named[keys[0]]
        return (keys[0], node) if isinstance(node, Tree) else None

    def effective(self, t: Template[Any, Any], template_name: str) -> Effective | None:
        """``t``'s options with the values applied, or None when no values file touches it."""
        if id(t) in self._cache:
            return self._cache[id(t)]
        self.templates[template_name] = t
        self.known["containers" if t.kind == "container" else "workflows"] += [
            t.fn.__name__, t.fn.__qualname__, t.entry, template_name]
        layers: list[Tree] = []
        defaults = self.tree.get("defaults")
        if t.kind == "container" and isinstance(defaults, Tree):
            layers.append(defaults)
        named = self._named(t, template_name)
        result = None if not layers and named is None else self._apply(t, layers, named[1] if named else None)
        self._cache[id(t)] = result
        return result

    def _apply(self, t: Template[Any, Any], below: list[Tree], above: Tree | None) -> Effective:
        from athena.compile.lower.source import decorator_keyword_span

        base = t.decorator_validated()
        raw = dict(t.decorator_options)
        trees: dict[str, Tree | Leaf] = {}
        touched = {k for layer in [*below, *([above] if above else [])] for k in layer}
        updates: dict[str, Any] = {}
        problems: list[str] = []
        for name in sorted(touched, key=list(OPTIONS).index):
            form, spec = FORMS[name], OPTIONS[name]
            keep = name in KEEP_NULLS
            node: Tree | Leaf | None = None
            for layer in below:
                if name in layer:
                    node = merge(node, layer[name], keep_nulls=keep)
            if name in raw and (raw[name] is not None or spec.none_is_value):
                span = decorator_keyword_span(t.fn, name)
                where = Origin(f"@{t.kind} {t.fn.__qualname__}", None, "") if span is None else \
                    Origin(span.path, span.line, f"@{t.kind}({name}=...)")
                node = merge(node, _tree(form.dump(raw[name]), _const(where), ""), keep_nulls=True)
            if above is not None and name in above:
                node = merge(node, above[name], keep_nulls=keep)
            if node is None:
                raw.pop(name, None)
                updates[spec.field] = getattr(TemplateOptions(), spec.field)
                continue
            trees[name] = node
            value = plain(node)
            origin = _last_origin(node)
            try:
                loaded = form.load(value)
                raw[name] = loaded
                updates[spec.field] = spec.validate(loaded)
            except OptionInvalid as e:
                problems += [f"{origin}: {origin.path or name}: {p.message}" for p in e.problems]
            except (ValueError, TypeError) as e:
                problems.append(f"{origin}: {origin.path or name}: {e}")
        if problems:
            raise ValuesError(f"values for `{t.entry}` do not fit:\n  " + "\n  ".join(problems))
        options = msgspec.structs.replace(base.options, **updates)
        return Effective(raw, Validated(options, base.references), trees)

    def unused(self) -> list[str]:
        """Messages for ``containers.X`` / ``workflows.X`` keys that named no compiled template."""
        known = self.known
        out: list[str] = []
        for section in ("containers", "workflows"):
            named = self.tree.get(section)
            if not isinstance(named, dict):
                continue
            for key, node in named.items():
                if (section, key) in self.used:
                    continue
                origin = node.origin
                other = "workflows" if section == "containers" else "containers"
                if key in known.get(other, ()):
                    out.append(f"{origin}: {section}.{key}: `{key}` is a "
                               f"@{other[:-1]}; put it under `{other}`")
                    continue
                close = difflib.get_close_matches(key, list(known.get(section, ())), n=1)
                hint = f" (did you mean `{close[0]}`?)" if close else ""
                out.append(f"{origin}: {section}.{key}: no @{section[:-1]} of the app is named "
                           f"`{key}`{hint}")
        return out


def explain(values: Values | None, t: Template[Any, Any], template_name: str) -> list[tuple[str, Any, Origin]]:
    """(key path, value, origin) of every option field ``t`` sets, after the values files, in table order."""
    from athena.compile.lower.source import decorator_keyword_span

    eff = values.effective(t, template_name) if values is not None else None
    trees = eff.trees if eff is not None else {}
    rows: list[tuple[str, Any, Origin]] = []
    for name in OPTIONS:
        node = trees.get(name)
        if node is None and name not in trees:
            value = t.decorator_options.get(name)
            given = name in t.decorator_options and (value is not None or OPTIONS[name].none_is_value)
            if not given or (eff is not None and name in _touched(values, t, template_name)):
                continue  # not given, or deleted by a values file
            span = decorator_keyword_span(t.fn, name)
            origin = Origin(span.path if span else t.entry, span.line if span else None, f"@{t.kind}({name}=...)")
            form = FORMS.get(name)
            dumped = form.dump(value) if form is not None else getattr(value, "__qualname__", repr(value))
            node = _tree(dumped, _const(origin), "")
        if node is None:
            continue
        rows += [(f"{name}.{path}" if path else name, v, o) for path, v, o in leaves(node)]
    return rows


def _touched(values: Values | None, t: Template[Any, Any], template_name: str) -> set[str]:
    if values is None:
        return set()
    out: set[str] = set()
    defaults = values.tree.get("defaults")
    if t.kind == "container" and isinstance(defaults, Tree):
        out |= set(defaults)
    section = values.tree.get("containers" if t.kind == "container" else "workflows")
    if isinstance(section, Tree):
        for key in (t.fn.__name__, t.fn.__qualname__, t.entry, template_name):
            if isinstance(section.get(key), Tree):
                out |= set(section[key])
    return out


def _const(origin: Origin) -> Callable[[str], Origin]:
    return lambda _: origin


def _last_origin(node: Tree | Leaf) -> Origin:
    """The origin to blame for a merged option: the last values-file leaf, else the last leaf."""
    origins = [o for _, _, o in leaves(node)]
    from_files = [o for o in origins if not o.path.startswith("@")]
    return (from_files or origins)[-1] if origins else Origin("?", None, "")


def load_values(paths: Sequence[str | Path]) -> Values:
    """Read, merge (in order) and check values files; :class:`ValuesError` lists every problem found."""
    tree = Tree({}, Origin("values", None, ""))
    for p in paths:
        tree = _merge_files(tree, _read(Path(p)))
    problems = list(_check(tree))
    if problems:
        raise ValuesError("the values files do not fit their schema:\n  " + "\n  ".join(problems))
    return Values(tree, [str(p) for p in paths])


def _check(tree: Tree) -> Iterator[str]:
    """Every schema problem of the merged files, each with file:line and key path (did-you-mean on typos)."""
    for key, node in tree.items():
        if key not in TOP_KEYS:
            yield _unknown(node, key, TOP_KEYS, "top-level key")
            continue
        if key == "namespace":
            if not (isinstance(node, Leaf) and (node.value is None or isinstance(node.value, str))):
                yield f"{_origin(node)}: namespace: must be a string"
            continue
        if isinstance(node, Leaf):
            if node.value is not None:
                yield f"{node.origin}: {key}: must be a mapping"
            continue
        if key == "defaults":
            yield from _check_options(node, "container", key)
            continue
        for name, options in node.items():
            if isinstance(options, Leaf):
                if options.value is not None:
                    yield f"{options.origin}: {key}.{name}: must be a mapping of options"
                continue
            yield from _check_options(options, "container" if key == "containers" else "workflow", f"{key}.{name}")


def _check_options(node: Tree, kind: str, path: str) -> Iterator[str]:
    allowed = [n for n in options_for(kind) if n in FORMS]
    for name, value in node.items():
        if name not in allowed:
            if name in EXCLUDED:
                yield f"{_origin(value)}: {path}.{name}: `{name}` cannot be set from a values file: {EXCLUDED[name]}"
            elif name in OPTIONS:
                yield f"{_origin(value)}: {path}.{name}: `{name}` applies to @{OPTIONS[name].where} only"
            else:
                yield _unknown(value, f"{path}.{name}", allowed, f"@{kind} option")
            continue
        data = plain(value)
        if data is None:
            continue  # deletes the decorator's value
        keep = name in KEEP_NULLS
        if not keep:
            data = _drop_nulls(data)  # a null inside deletes a key of a lower layer; nothing to check
        try:
            OPTIONS[name].validate(FORMS[name].load(data))
        except OptionInvalid as e:
            for p in e.problems:
                yield f"{_origin(value)}: {path}.{name}: {p.message}"
        except (ValueError, TypeError) as e:
            yield f"{_origin(value)}: {path}.{name}: {e}"


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    return value


def _origin(node: Tree | Leaf) -> Origin:
    return node.origin


def _unknown(node: Tree | Leaf, path: str, known: Sequence[str], what: str) -> str:
    name = path.rsplit(".", 1)[-1]
    close = difflib.get_close_matches(name, list(known), n=1)
    hint = f"did you mean `{close[0]}`?" if close else f"known: {', '.join(known)}"
    return f"{node.origin}: {path}: unknown {what} `{name}` ({hint})"
