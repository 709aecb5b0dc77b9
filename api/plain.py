"""Renderers generated from a response model: its snake_case field values to its JSON keys.

A list of hundreds of rows is cheaper to render from plain values than through model
instances. The renderer is derived from the model itself (field order, aliases, nested models,
the serializer of `UtcTime`), so the model stays the one definition of the JSON shape.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, PlainSerializer

Convert = Callable[[Any], Any]
# Annotations whose values orjson writes exactly as pydantic's JSON mode does.
PLAIN = (str, int, float, bool, Any)


def _optional(convert: Convert) -> Convert:
    return lambda value: None if value is None else convert(value)


def _each(convert: Convert) -> Convert:
    return lambda values: [convert(value) for value in values]


def _converter(annotation: Any) -> Convert | None:
    """How a value of `annotation` becomes JSON-ready (None: as it is), or TypeError."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        serializers = [m for m in annotation.__metadata__ if isinstance(m, PlainSerializer)]
        if len(serializers) == 1 and len(annotation.__metadata__) == 1:
            return serializers[0].func  # type: ignore[return-value]  # plain one-argument serializers
        raise TypeError(f"cannot render {annotation!r} from plain values")
    if origin in (Union, types.UnionType) and type(None) in args:
        rest = [arg for arg in args if arg is not type(None)]
        if len(rest) != 1:
            raise TypeError(f"cannot render {annotation!r} from plain values")
        inner = _converter(rest[0])
        return None if inner is None else _optional(inner)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return plain_renderer(annotation)
    if origin is list and len(args) == 1:
        inner = _converter(args[0])
        return None if inner is None else _each(inner)
    if origin is dict and args[:1] == (str,) and _converter(args[1]) is None:
        return None
    if annotation in PLAIN:
        return None
    raise TypeError(f"cannot render {annotation!r} from plain values")


def plain_renderer(model: type[BaseModel]) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """A function from the model's field values (by field name) to what
    `model(**values).model_dump(mode="json", by_alias=True)` gives for them."""
    namespace: dict[str, Any] = {}
    items = []
    for index, (name, field) in enumerate(model.model_fields.items()):
        # pydantic keeps a field's own Annotated metadata (e.g. of `UtcTime`) apart.
        annotation = (
            Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
        )
        convert = _converter(annotation)
        value = f"values[{name!r}]"
        if convert is not None:
            namespace[f"convert{index}"] = convert
            value = f"convert{index}({value})"
        items.append(f"{field.serialization_alias or field.alias or name!r}: {value}")
    # One dict display per model, as a hand-written renderer would be: a loop over the fields
    # costs twice as much per row. The source holds only the model's own names, quoted.
    source = f"def render(values):\n    return {{{', '.join(items)}}}\n"
    exec(source, namespace)
    render: Callable[[Mapping[str, Any]], dict[str, Any]] = namespace["render"]
    return render
