"""JSON-Schema validation with defaults and one-line errors naming the offending key."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError

from mscsurvey import data
from mscsurvey.errors import SurveyError

__all__ = ["SCHEMA_DIR", "load_yaml", "validate", "validate_with", "schema_path"]

# The schemas are package data (mscsurvey/data/schemas), so an installed copy finds them too.
SCHEMA_DIR = data.data_path("schemas")


def schema_path(name: str) -> Path:
    """The schema ``<name>.schema.yaml`` shipped with the package."""
    return data.schema_path(name)


#: Largest YAML file read (a codebook of a thousand items is ~0.3 MB).
MAX_YAML_BYTES = 5 * 1024 * 1024
#: Most values a YAML document may hold once its aliases are expanded. PyYAML shares an aliased node,
#: so a 600-byte "alias bomb" (each level nine aliases of the one above) loads instantly but expands to
#: 9**9 values for whatever walks it (schema validation took minutes); real files hold a few thousand.
MAX_YAML_NODES = 200_000


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """Values in ``node`` with every alias expanded (memoised per node, so linear in the file)."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # a recursive alias counts once instead of looping
    if isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(c, memo) for c in node.value)
    elif isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    else:
        size = 1
    memo[key] = size
    return size


def _load_bounded(fh: Any, p: Path) -> Any:
    """yaml.safe_load, refusing a document whose aliases expand beyond :data:`MAX_YAML_NODES`."""
    loader = yaml.SafeLoader(fh)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = _expanded_size(node, {})
        if size > MAX_YAML_NODES:
            raise SurveyError(
                f"expands to more than {MAX_YAML_NODES:,} values through its aliases (*name); "
                "expected a plain file (write the repeated parts out, or use fewer aliases)",
                file=str(p),
            )
        _refuse_duplicate_keys(node, p)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _refuse_duplicate_keys(root: yaml.Node, p: Path) -> None:
    """A key written twice in one mapping (PyYAML silently keeps the last: an item defined twice in
    a codebook would quietly lose its first definition)."""
    seen_nodes: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: dict[str, int] = {}
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value != "<<":
                    if k.value in keys:
                        raise SurveyError(
                            f"line {k.start_mark.line + 1}: key '{k.value}' appears twice in one "
                            f"mapping (first on line {keys[k.value]}); expected each key once",
                            file=str(p),
                        )
                    keys[k.value] = k.start_mark.line + 1
                stack += [k, v]
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value


def load_yaml(path: str | Path) -> Any:
    """Read a YAML file, bounded in size, alias expansion and nesting; a syntax error becomes one
    line with its line number."""
    p = Path(path)
    if not p.exists():
        raise SurveyError("does not exist", file=str(p))
    if p.is_dir():
        raise SurveyError("is a folder (expected a YAML file)", file=str(p))
    if p.stat().st_size > MAX_YAML_BYTES:
        raise SurveyError(
            f"is {p.stat().st_size:,} bytes (expected a YAML file of at most {MAX_YAML_BYTES:,})",
            file=str(p),
        )
    try:
        with open(p, encoding="utf-8") as fh:
            return _load_bounded(fh, p)
    except RecursionError:
        raise SurveyError(
            "is nested too deeply to read (expected a codebook or config a few levels deep)",
            file=str(p),
        ) from None
    except UnicodeDecodeError as exc:
        raise SurveyError(
            f"is not UTF-8 text ({exc.reason} at byte {exc.start})", file=str(p)
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SurveyError(f"{line}is not valid YAML ({problem})", file=str(p)) from None


def _with_defaults(cls: type) -> type:
    """A validator that fills in schema defaults (the pattern in jsonschema's FAQ)."""
    validate_properties = cls.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, schema):  # type: ignore[no-untyped-def]
        if isinstance(instance, dict):
            for prop, sub in properties.items():
                if "default" in sub and prop not in instance:
                    instance[prop] = copy.deepcopy(sub["default"])
        yield from validate_properties(validator, properties, instance, schema)

    return validators.extend(cls, {"properties": set_defaults})


_Validator = _with_defaults(Draft202012Validator)


def _key(error: ValidationError) -> str:
    return ".".join(str(p) for p in error.absolute_path)


def _short(value: Any, limit: int = 60) -> str:
    """A value for a message, cut to ``limit`` characters (a whole list or mapping could be huge)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(error: ValidationError) -> tuple[str, str]:
    """Return (key, message) for the error a person should fix first."""
    key = _key(error)
    v = error.validator
    if v == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        if error.schema.get("properties") is not None and extra:
            full = f"{key}.{extra[0]}" if key else extra[0]
            hint = f" (allowed here: {', '.join(allowed)})" if allowed else ""
            return full, f"unknown key{hint}"
        return key, error.message
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        full = f"{key}.{missing}" if key else missing
        return full, "is required but missing"
    if v == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return key, f"expected {expected}, got {_short(error.instance)}"
    if v == "enum":
        return key, f"{_short(error.instance)} is not allowed (expected one of: " + ", ".join(
            map(str, error.validator_value)
        ) + ")"
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return key, f"{error.instance!r} is out of range ({v} {error.validator_value})"
    if v == "pattern":
        return key, f"{error.instance!r} does not match the expected form {error.validator_value}"
    if v == "propertyNames":
        return key, f"name {error.instance!r} is not allowed ({error.message})"
    return key, error.message


def validate(instance: Any, schema_file: str | Path, *, source: str) -> Any:
    """Validate ``instance`` against a YAML schema file, fill defaults, and return the filled copy.

    Raises
    ------
    SurveyError
        one line naming ``source`` and the key at fault, e.g.
        ``config/config.yaml: key 'clean.speeder_min_seconds': expected number, got 'abc'``.
    """
    return validate_with(instance, load_yaml(schema_file), source=source)


def validate_with(instance: Any, schema: dict[str, Any], *, source: str) -> Any:
    """:func:`validate` with the schema given as a mapping (e.g. one block of the config schema)."""
    data = copy.deepcopy(instance) if instance is not None else {}
    validator = _Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: (len(e.absolute_path), _key(e)))
    if errors:
        best = jsonschema.exceptions.best_match(errors)
        # Prefer an unknown key: a typo'd key also shows up as a missing required one.
        unknown = [e for e in errors if e.validator == "additionalProperties"]
        err = unknown[0] if unknown else best
        key, msg = _describe(err)
        raise SurveyError(msg, file=source, key=key or "(top level)")
    return data
