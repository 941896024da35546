"""Parse an org file's YAML (or JSON) text into plain values, with bounded cost.

The loader is PyYAML's safe loader, tightened for a file that a reviewer reads and an
attacker may write:

- a key repeated in one mapping is refused (YAML would keep the last);
- anchors and aliases (``&a`` / ``*a``) are refused: they hide content from a reviewer and
  are the way to a "billion laughs" expansion bomb (a 445-byte file once ran 35 s into a
  ``MemoryError``);
- nesting deeper than :data:`MAX_DEPTH` is refused before Python's recursion limit is
  reached (no ``RecursionError`` traceback);
- an integer of more digits than any field takes (:data:`MAX_INT_DIGITS`) is kept as a
  :class:`TooLargeInteger` marker instead of being converted (converting 5,000 digits
  raises a ``ValueError`` in Python 3.11+); :mod:`.values` then refuses it with its path;
- dates stay strings (``2026-01-01`` is a name, not a ``datetime``).

Every problem is one :class:`~.errors.OrgFileError` (``(YAML)`` and the line); no value of
the file is quoted beyond a short, escaped excerpt. Nothing here reads a file or sends a
request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, Event, ScalarEvent

from airflow_provider_openai_projects.domain.display import printable
from airflow_provider_openai_projects.orgfile.errors import OrgFileError

#: Deepest nesting of mappings and lists accepted (a real org file needs about 6).
MAX_DEPTH = 32
#: The most digits an integer may have: every integer field fits a signed 64-bit integer
#: (``9223372036854775807`` has 19 digits); longer ones are refused, not converted.
MAX_INT_DIGITS = 19


@dataclass(frozen=True)
class TooLargeInteger:
    """An integer literal of more than :data:`MAX_INT_DIGITS` digits, left unconverted."""

    digits: int


def excerpt(value: object, limit: int = 40) -> str:
    """A short, escaped rendering of a value for an error message: never the whole of a
    long value, never a control character (``'aaaa…' (5000 characters)``)."""
    if isinstance(value, TooLargeInteger):
        return f"an integer of {value.digits} digits"
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int):
        return str(value) if value.bit_length() <= 64 else f"an integer of {value.bit_length()} bits"
    if isinstance(value, str):
        shown = printable(value[:limit])
        return f"{shown!r}" if len(value) <= limit else f"{shown + '…'!r} ({len(value)} characters)"
    if isinstance(value, dict):
        return f"a mapping of {len(value)} keys"
    if isinstance(value, list):
        return f"a list of {len(value)} items"
    return f"a {type(value).__name__}"


def _refusal(event: Event, depth: int) -> str | None:
    """Why the parser event ``event`` (at nesting ``depth``, counting it) is refused."""
    if isinstance(event, AliasEvent):
        return "aliases (*name) are not allowed in an org file: write the value out"
    if isinstance(event, ScalarEvent | CollectionStartEvent) and event.anchor is not None:
        return "anchors (&name) are not allowed in an org file: write the value out"
    if depth > MAX_DEPTH:
        return f"nested more than {MAX_DEPTH} levels deep (refused)"
    return None


class BoundedLoader(yaml.SafeLoader):
    """``SafeLoader`` (pure Python) with the limits of the module docstring, checked as it
    composes."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event: Any = self.peek_event()  # type: ignore[no-untyped-call]
        nested = isinstance(event, CollectionStartEvent)
        refused = _refusal(event, self._depth + nested)
        if refused is not None:
            raise ComposerError(None, None, refused, event.start_mark)
        if not nested:
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_FAST_LOADER: Any = None
if hasattr(yaml, "CSafeLoader"):  # libyaml: about three times faster on a large file

    class _FastBoundedLoader(yaml.CSafeLoader):
        """libyaml's parser and composer, our constructors; used after :func:`_prescan`."""

    _FAST_LOADER = _FastBoundedLoader


def _prescan(text: str) -> None:
    """Check every parser event (libyaml's, iterative) for the limits before libyaml
    composes the document (its composer expands aliases and recurses)."""
    depth = 0
    for event in yaml.parse(text, Loader=_FAST_LOADER):
        if isinstance(event, CollectionStartEvent):
            depth += 1
        elif isinstance(event, CollectionEndEvent):
            depth -= 1
        refused = _refusal(event, depth)
        if refused is not None:
            mark: Any = event.start_mark  # libyaml's Mark, the same fields
            raise ComposerError(None, None, refused, mark)


def _construct_mapping(loader: BoundedLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            seen = key in result
        except TypeError:
            raise ConstructorError(
                None, None, f"a key may not be {excerpt(key)} (a mapping or a list)", key_node.start_mark
            ) from None
        if seen:
            raise ConstructorError(None, None, f"duplicate key {excerpt(key)}", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=deep)
    return result


def _construct_int(loader: BoundedLoader, node: yaml.ScalarNode) -> Any:
    text = str(loader.construct_scalar(node)).replace("_", "")
    digits = text.lstrip("+-")
    if len(digits) > MAX_INT_DIGITS and digits.isdigit():
        return TooLargeInteger(len(digits))
    if len(text) > 4 * MAX_INT_DIGITS:  # hexadecimal, octal, binary, base 60: as bounded
        return TooLargeInteger(len(digits))
    return yaml.SafeLoader.construct_yaml_int(loader, node)


_LOADERS: list[Any] = [BoundedLoader, _FAST_LOADER]
for _loader in _LOADERS:
    if _loader is not None:
        _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
        _loader.add_constructor("tag:yaml.org,2002:int", _construct_int)
        _loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


def parse_yaml(text: str, source: str, *, fast: bool = True) -> Any:
    """The YAML document in ``text`` (plain values; :class:`TooLargeInteger` markers for
    overlong integers); :class:`OrgFileError` on bad YAML, a repeated key, an anchor or
    alias, or nesting deeper than :data:`MAX_DEPTH`.

    With libyaml installed (and ``fast``), its parser is used, after a scan of its events
    for the same limits; otherwise, and to word any error, :class:`BoundedLoader`. Both
    give the same values.
    """
    if fast and _FAST_LOADER is not None:
        try:
            _prescan(text)
            return yaml.load(text, Loader=_FAST_LOADER)  # noqa: S506 - a CSafeLoader subclass
        except yaml.YAMLError:
            pass  # told as the pure-Python loader tells it (its lines and words), below
    try:
        return yaml.load(text, Loader=BoundedLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = printable(str(error.problem or error.context or "invalid YAML"))[:200]
        raise OrgFileError(source, "(YAML)", f"invalid YAML: {problem}", line) from None
    except yaml.YAMLError as error:
        first = (str(error).splitlines() or ["invalid YAML"])[0]
        raise OrgFileError(source, "(YAML)", f"invalid YAML: {printable(first)[:200]}") from None
    except (RecursionError, MemoryError, ValueError, OverflowError):
        raise OrgFileError(source, "(YAML)", "invalid YAML: too large or too deeply nested") from None
