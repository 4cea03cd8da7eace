"""Read-only mappings and lists: the containers inside a loaded scenario.

A :class:`~investsim.scenario.config.Scenario` is validated once, and its policies'
configurations and its sha256 are derived from its values then. Changing a value in
place afterwards (``config.financing.sources["bank"] = ...``) would leave those behind
and give a forecast of neither scenario, so every mapping and list a scenario holds is
one of these, which refuse to change and say how to make a changed scenario instead.

They are ``dict`` and ``list`` subclasses, not :class:`types.MappingProxyType` and
``tuple``: so they compare equal to plain dicts and lists, print, serialise (pydantic,
``json``) and pickle to worker processes as those do, and code reading a scenario sees
no difference.
"""

from __future__ import annotations

import dataclasses
from typing import Any, NoReturn, TypeVar

import yaml

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")
C = TypeVar("C", bound=type)

CHANGE_HINT = (
    "a scenario can't be changed in place (its policies and sha256 were derived from these "
    "values when it was loaded): make a changed copy with "
    "scenario.with_overrides({'dotted.key.path': value}), e.g. "
    "scenario.with_overrides({'financing.sources.bank.supply': 60.0})"
)
"""What a refused change says."""


def _refuse(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise TypeError(CHANGE_HINT)


class FrozenDict(dict[K, V]):
    """A ``dict`` that refuses every change (``TypeError`` naming
    ``scenario.with_overrides``). ``dict(frozen)`` is a plain, changeable copy."""

    __slots__ = ()

    __setitem__ = _refuse
    __delitem__ = _refuse
    __ior__ = _refuse
    clear = _refuse
    pop = _refuse
    popitem = _refuse
    setdefault = _refuse
    update = _refuse

    def __reduce__(self) -> tuple[Any, ...]:
        # pickle (and copy) would otherwise refill the new object with __setitem__
        return (type(self), (dict(self),))

    def __repr__(self) -> str:
        return dict.__repr__(self)

    def __hash__(self) -> int:  # type: ignore[override]
        # unhashable, like the dict it stands for (and whose equality it keeps)
        raise TypeError(f"unhashable type: '{type(self).__name__}'")


class FrozenList(list[T]):
    """A ``list`` that refuses every change (``TypeError`` naming
    ``scenario.with_overrides``). ``list(frozen)`` is a plain, changeable copy."""

    __slots__ = ()

    __setitem__ = _refuse
    __delitem__ = _refuse
    __iadd__ = _refuse
    __imul__ = _refuse
    append = _refuse
    clear = _refuse
    extend = _refuse
    insert = _refuse
    pop = _refuse
    remove = _refuse
    reverse = _refuse
    sort = _refuse

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (list(self),))

    def __repr__(self) -> str:
        return list.__repr__(self)

    def __hash__(self) -> int:  # type: ignore[override]
        raise TypeError(f"unhashable type: '{type(self).__name__}'")


# yaml.safe_dump takes exact dicts and lists only: a scenario's data dumps as they do
# (a registration on the dumper class, not state that changes any result)
yaml.SafeDumper.add_representer(FrozenDict, yaml.SafeDumper.represent_dict)
yaml.SafeDumper.add_representer(FrozenList, yaml.SafeDumper.represent_list)


def freeze(value: Any) -> Any:
    """``value`` with every ``dict`` in it a :class:`FrozenDict` and every ``list`` a
    :class:`FrozenList`, all the way down (tuples keep their form, their items frozen).
    Anything else (numbers, text, pydantic models, which are frozen themselves) is kept
    as it is; a value frozen already is returned as it is."""
    if isinstance(value, (FrozenDict, FrozenList)):
        return value
    if isinstance(value, dict):
        return FrozenDict({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return FrozenList([freeze(v) for v in value])
    if type(value) is tuple:
        return tuple(freeze(v) for v in value)
    return value


def _no_setattr(self: object, name: str, value: Any) -> NoReturn:
    raise dataclasses.FrozenInstanceError(f"can't set {name!r}: {CHANGE_HINT}")


def _no_delattr(self: object, name: str) -> NoReturn:
    raise dataclasses.FrozenInstanceError(f"can't delete {name!r}: {CHANGE_HINT}")


def refuse_changes(cls: C) -> C:
    """A frozen dataclass whose refused assignments say how to change a scenario (its
    ``FrozenInstanceError``, an ``AttributeError``, would only say "cannot assign")."""
    # set after @dataclass(frozen=True), which won't take a class defining __setattr__;
    # its __init__ and pickling set fields with object.__setattr__, so they still work
    setattr(cls, "__setattr__", _no_setattr)  # noqa: B010 (mypy refuses assigning a method)
    setattr(cls, "__delattr__", _no_delattr)  # noqa: B010
    return cls
