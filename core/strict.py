"""The base of every spec model and the spec's error type (torch-free; records import it)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from core.echo import clip, unencodable


class SpecError(ValueError):
    """A spec (or experiment file) that cannot be used; the message says which key and why."""


class Strict(BaseModel):
    """A spec model: unknown keys, NaN/infinity, booleans for numbers and broken text are errors."""

    model_config = ConfigDict(extra="forbid", use_enum_values=False, validate_assignment=True,
                              allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _text_is_text(cls, data: Any) -> Any:
        # pydantic itself raises a bare UnicodeEncodeError on a lone surrogate: name the key instead
        problem = find_bad_text(data)
        if problem:
            raise PydanticCustomError("bad_text", "{problem}", {"problem": problem})
        if isinstance(data, dict):  # pydantic would read true as 1: a careless "lr": true is not a rate
            for name, field in cls.model_fields.items():
                if field.annotation in (int, float) and isinstance(data.get(name), bool):
                    raise PydanticCustomError("bad_text", "{name}: got {value}; give a number",
                                              {"name": name, "value": str(data[name]).lower()})
        return data


_TEXT_DEPTH = 16  # deeper than any real spec; pydantic reports the wrong types beyond it


def find_bad_text(value: Any, where: str = "", depth: int = 0) -> str | None:
    """'key.path: why' for the first string (or key) in `value` that is not valid text, else None."""
    if isinstance(value, str):
        why = unencodable(value)
        return f"{where or 'value'}: {why}; retype it as plain text" if why else None
    if depth >= _TEXT_DEPTH:
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{where}.{clip(key)}" if where else clip(key)
            if isinstance(key, str) and (why := unencodable(key)):
                return f"{here}: this key {why}"
            if problem := find_bad_text(item, here, depth + 1):
                return problem
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            if problem := find_bad_text(item, f"{where}.{i}" if where else str(i), depth + 1):
                return problem
    return None
