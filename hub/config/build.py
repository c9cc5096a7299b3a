"""The typed builder: checks a TOML value against a schema type and builds it.

Generic over the schema's dataclasses, lists and tables of tables, so each new field is
validated by its type hint alone; a mismatch is one `ConfigError` naming the file, the key and
what was expected. `hub.community.servers` builds the [discord] tables with it too.
"""

from __future__ import annotations

import dataclasses
import typing
from pathlib import Path

from hub.config.schema import ConfigError

_TYPE_NAMES: dict[object, str] = {
    str: "un texte",
    int: "un nombre entier",
    float: "un nombre",
    bool: "true ou false",
}


def type_name(tp: object) -> str:
    origin = typing.get_origin(tp)
    if origin is list:
        return f"une liste ({type_name(typing.get_args(tp)[0])})"
    if origin is dict:
        return f"une table de tables ({type_name(typing.get_args(tp)[1])})"
    if dataclasses.is_dataclass(tp):
        return "une table"
    return _TYPE_NAMES.get(tp, str(tp))


def build(tp: object, value: object, where: str, file: Path) -> object:
    """Check `value` against the type `tp` and build it, naming `where` on any mismatch."""

    def wrong() -> ConfigError:
        return ConfigError(f"{file} : {where} : attendu {type_name(tp)}, trouvé {value!r}")

    origin = typing.get_origin(tp)
    if origin is list:
        if not isinstance(value, list):
            raise wrong()
        (item_tp,) = typing.get_args(tp)
        return [build(item_tp, v, f"{where}[{i}]", file) for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise wrong()
        item_tp = typing.get_args(tp)[1]
        return {k: build(item_tp, v, f"{where}.{k}", file) for k, v in value.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise wrong()
        hints = typing.get_type_hints(tp)
        fields = {f.name: f for f in dataclasses.fields(tp)}
        unknown = sorted(set(value) - set(fields))
        if unknown:
            raise ConfigError(
                f"{file} : {where} : clé inconnue {unknown[0]!r} ; "
                f"clés possibles ici : {', '.join(sorted(fields))}"
            )
        kwargs: dict[str, object] = {}
        for name, f in fields.items():
            if name in value:
                kwargs[name] = build(hints[name], value[name], f"{where}.{name}", file)
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(
                    f"{file} : {where} : clé {name!r} manquante ({type_name(hints[name])})"
                )
        return tp(**kwargs)
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if (
        isinstance(tp, type)
        and isinstance(value, tp)
        and not (tp is int and isinstance(value, bool))
    ):
        return value
    raise wrong()


_build = build  # the name hub.community.servers imports
