"""The base of every model of the scenario file format (sections and distributions)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, model_validator

from investsim.scenario.frozen import CHANGE_HINT, FrozenDict, FrozenList, freeze


class StrictModel(BaseModel):
    """A part of a scenario file, validated once: frozen, its mappings and lists too (a
    change raises ``TypeError`` naming ``scenario.with_overrides``; safe to share between
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

    @model_validator(mode="after")
    def _freeze_containers(self) -> Any:
        # pydantic's frozen=True refuses `model.key = value` only: the dicts and lists it
        # holds (also defaults, which are not validated) would still change in place
        for name, value in self.__dict__.items():
            if isinstance(value, (dict, list)) and not isinstance(value, (FrozenDict, FrozenList)):
                object.__setattr__(self, name, freeze(value))
        return self

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy (``deep`` or not); ``update`` is refused: pydantic would set the values
        unchecked, and a scenario's policies and sha256 would still be those of the old
        values (use ``scenario.with_overrides``)."""
        if update:
            raise TypeError(f"model_copy(update=...) skips validation: {CHANGE_HINT}")
        return super().model_copy(deep=deep)

    def __setattr__(self, name: str, value: Any) -> None:
        # pydantic's own refusal ("Instance is frozen") does not say what to do instead
        raise AttributeError(f"can't set {name!r}: {CHANGE_HINT}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"can't delete {name!r}: {CHANGE_HINT}")


class KeyPathError(ValueError):
    """A problem found by a check across sections (a model validator), at the key path
    ``path`` of the scenario's data: pydantic would place it at the model itself, and the
    message would name no key and no line."""

    def __init__(self, message: str, path: tuple[str | int, ...]) -> None:
        super().__init__(message)
        self.path = path
