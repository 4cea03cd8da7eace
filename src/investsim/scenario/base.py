"""The base of every model of the scenario file format (sections and distributions)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


class StrictModel(BaseModel):
    """A part of a scenario file, validated once: frozen (hashable, safe to share between
    scenarios), unknown keys refused (they catch typos), and no true/false where a number
    or text is meant."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _no_booleans(cls, data: Any) -> Any:
        # YAML reads yes/true as a boolean, and pydantic would take it for 1
        if isinstance(data, dict):
            for key, value in data.items():
                field = cls.model_fields.get(key) if isinstance(key, str) else None
                if isinstance(value, bool) and field is not None and "bool" not in str(field.annotation):
                    raise ValueError(
                        f"{key}(={str(value).lower()}) must be a number or text, not true/false (yes/no)"
                    )
        return data


class KeyPathError(ValueError):
    """A problem found by a check across sections (a model validator), at the key path
    ``path`` of the scenario's data: pydantic would place it at the model itself, and the
    message would name no key and no line."""

    def __init__(self, message: str, path: tuple[str | int, ...]) -> None:
        super().__init__(message)
        self.path = path
