"""Reading one YAML file of a scenario safely, keeping its node tree for line numbers.

Refused with a :class:`ScenarioError` naming the file and line: a file too big or not
UTF-8, text that is not YAML, duplicate keys, nesting too deep for the parser, and
aliases that contain themselves or expand to too many values.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import yaml

from investsim.errors import ScenarioError


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys (the second would silently win)."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            continue  # a list or mapping as a key: construct_mapping says "found unhashable key"
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first at line {seen[key] + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def _construct_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    # PyYAML reads 2020-02-30 as a date and fails with a bare ValueError (no line)
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError as e:
        raise yaml.constructor.ConstructorError(
            None, None, f"{node.value!r} is not a date ({e})", node.start_mark
        ) from None


_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


MAX_SCENARIO_BYTES = 1_000_000
"""A scenario file is a page or two of YAML; one larger than this is the wrong file (and
PyYAML would take minutes to read it)."""

MAX_YAML_VALUES = 1_000_000
"""Values a YAML document may expand to once its aliases (``*name``) are followed: a
guard against "billion laughs" files that are small on disk and huge in memory."""


def first_bad_byte(raw: bytes, err: UnicodeDecodeError) -> tuple[str, int]:
    """The (valid) text before the first byte that is not UTF-8, and that byte."""
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw  # err.start is after a BOM
    return body[: err.start].decode("utf-8"), body[err.start]


def lines_before(text: str) -> int:
    """Line (1-based) at the end of ``text``: CRLF, LF and CR each end a line."""
    return text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1


def _not_utf8(raw: bytes, err: UnicodeDecodeError, file: str) -> ScenarioError:
    """'not UTF-8' naming the line of the first bad byte and what the file probably is."""
    before, byte = first_bad_byte(raw, err)
    return ScenarioError(
        f"not UTF-8 text: byte 0x{byte:02x} can't be read{encoding_hint(raw)}; save the file as UTF-8",
        file=file,
        line=lines_before(before),
    )


def encoding_hint(raw: bytes) -> str:
    """' (it looks like GBK ...)' when the bytes read as the Chinese Windows encoding."""
    try:
        raw.decode("gb18030")
    except UnicodeDecodeError:
        return ""
    return " (it looks like GBK/GB18030, the Chinese Windows encoding)"


LOOKALIKES = {
    "\uff0c": ",",  # ，
    "\u3001": ",",  # 、
    "\uff1a": ":",  # ：
    "\uff5b": "{",  # ｛
    "\uff5d": "}",  # ｝
    "\uff3b": "[",  # ［
    "\uff3d": "]",  # ］
    "\uff03": "#",  # ＃
    "\uff0d": "-",  # －
    "\uff0e": ".",  # ．
    "\u3000": " ",  # the ideographic (full-width) space
    "\u201c": '"',  # “
    "\u201d": '"',  # ”
    "\u2018": "'",  # ‘
    "\u2019": "'",  # ’
}
"""Characters a Chinese input method types in place of the ASCII punctuation YAML reads
(and that YAML reads as text): each with the ASCII character meant."""

IN_VALUES = {**LOOKALIKES, **{chr(0xFF10 + d): str(d) for d in range(10)}}
""":data:`LOOKALIKES` and the full-width digits (``２０２４``), which YAML reads as text,
not as a number: characters to name in a key or a value that is refused."""


def lookalike(char: str) -> str:
    """``the full-width comma '，' (U+FF0C)``: a character of :data:`IN_VALUES` named."""
    name = unicodedata.name(char, "").lower().replace("fullwidth", "full-width")
    return f"the {name} '{char}' (U+{ord(char):04X})"


def first_lookalike(text: str) -> tuple[int, str] | None:
    """The index and the character of the first :data:`IN_VALUES` character in ``text``."""
    return next(((i, c) for i, c in enumerate(text) if c in IN_VALUES), None)


def _lookalike_before(text: str, mark: Any, context: Any) -> tuple[int, str] | None:
    """A look-alike character, outside quotes and comments, just before where YAML stopped.

    YAML notices a full-width comma or colon later than where it is (``45，growth: 0.03``
    is read as one value, and the colon after it is the error), so the text searched is
    the error's line up to the error, with the line before when the error is at the
    start of its line or YAML names it as the context (``while scanning a simple key``);
    else a colon, comma or opening bracket ending the line before (``industry：``, read
    as a value).
    """
    end = min(mark.index, len(text))
    begin = end - mark.column
    before = text[: max(begin - 1, 0)].rstrip("\r\n \t")
    previous = max(before.rfind("\n"), before.rfind("\r")) + 1  # the line before, not blank
    if not text[begin:end].strip() or (context is not None and context.line == mark.line - 1):
        return _unquoted_lookalike(text, previous, end)
    found = _unquoted_lookalike(text, begin, end)
    if found is None and before[-1:] in ("：", "，", "、", "｛", "［") and "#" not in before[previous:]:
        found = len(before) - 1, before[-1]
    return found


def _unquoted_lookalike(text: str, begin: int, end: int) -> tuple[int, str] | None:
    """The first :data:`LOOKALIKES` character in ``text[begin:end]`` (``begin`` the start
    of a line) that is not in a quoted string or a comment."""
    quote = ""  # the quote character of the string we are in, or "#" in a comment
    for i in range(begin, end):
        c = text[i]
        if c in "\r\n":
            quote = ""  # a comment ends with its line; a string across lines is left to YAML
        elif quote == "#" or (quote and c != quote):
            continue
        elif quote:
            quote = ""  # the closing quote
        elif (c in "'\"" and text[i - 1 : i] in ("", *" \t\r\n[{,:")) or (
            c == "#" and text[i - 1 : i] in ("", *" \t\r\n")
        ):
            quote = c
        elif c in LOOKALIKES:
            return i, c
    return None


class YamlSyntaxError(ScenarioError):
    """Text that is not YAML at all (as opposed to YAML that can't be used)."""


def parse_yaml(text: str, *, file: str | None) -> tuple[Any, yaml.Node | None]:
    """The data and the node tree (for line numbers) of one YAML document, read once.

    Refused with a :class:`ScenarioError`: YAML errors, duplicate keys, nesting too deep
    for the parser, aliases that contain themselves or expand to too many values.
    """
    loader: _UniqueKeyLoader | None = None
    try:
        loader = _UniqueKeyLoader(text)  # refuses control characters at once
        node = loader.get_single_node()
        _check_aliases(node, file)
        data = loader.construct_document(node) if node is not None else None
    except yaml.reader.ReaderError as e:
        raise YamlSyntaxError(
            f"not valid YAML: the character U+{_code_point(e.character):04X} is not allowed in YAML text",
            file=file,
            line=lines_before(text[: e.position]),
        ) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or str(e)
        context = getattr(e, "context", None)
        if context and problem.startswith("but "):  # "expected a single document ..., but found ..."
            problem = f"{context}, {problem}"
        if isinstance(e, yaml.constructor.ConstructorError):
            raise ScenarioError(
                f"not valid YAML: {problem}", file=file, line=mark.line + 1 if mark is not None else None
            ) from None
        raise _syntax_error(text, problem, mark, getattr(e, "context_mark", None), file) from None
    except RecursionError:
        raise ScenarioError(
            "not valid YAML: nested too deeply (brackets or indentation)", file=file
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, node


def _syntax_error(text: str, problem: str, mark: Any, context: Any, file: str | None) -> YamlSyntaxError:
    """'not valid YAML' at YAML's line, or at a full-width character just before it that is
    the likely cause (YAML's own words, which point past it, kept at the end)."""
    found = _lookalike_before(text, mark, context) if mark is not None else None
    if found is None:
        return YamlSyntaxError(
            f"not valid YAML: {problem}", file=file, line=mark.line + 1 if mark is not None else None
        )
    index, char = found
    line_start = max(text.rfind("\n", 0, index), text.rfind("\r", 0, index)) + 1
    return YamlSyntaxError(
        f"not valid YAML: {lookalike(char)} at column {index - line_start + 1} must be the ASCII "
        f"{LOOKALIKES[char]!r} (a Chinese input method types it; YAML said: {problem})",
        file=file,
        line=lines_before(text[:index]),
    )


def _code_point(character: int | str) -> int:
    return character if isinstance(character, int) else ord(character)


def _check_aliases(root: yaml.Node | None, file: str | None) -> None:
    """Refuse an alias that contains itself, or aliases that expand to too many values."""
    if root is None:
        return
    size: dict[int, int] = {}  # values under a node once expanded, by id(node)
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        if done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in children)
            if size[key] > MAX_YAML_VALUES:
                raise ScenarioError(
                    f"aliases (*name) expand to more than {MAX_YAML_VALUES:,} values",
                    file=file,
                    line=node.start_mark.line + 1,
                )
            continue
        if key in size:
            continue
        on_path.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in on_path:
                raise ScenarioError(
                    "an alias (*name) refers to a value that contains it: it would never end",
                    file=file,
                    line=child.start_mark.line + 1,
                )
            if id(child) not in size:
                stack.append((child, False))


class SourceFile:
    """One YAML file of a scenario: its parsed data and node tree (for line numbers)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise ScenarioError("file not found", file=str(path)) from None
        except OSError as e:
            raise ScenarioError(f"can't read file: {e.strerror}", file=str(path)) from None
        if len(raw) > MAX_SCENARIO_BYTES:
            raise ScenarioError(
                f"{len(raw) / 1e6:.1f} MB is too big for a scenario file (at most "
                f"{MAX_SCENARIO_BYTES / 1e6:g} MB): is it the right file?",
                file=str(path),
            )
        try:
            self.text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise _not_utf8(raw, e, str(path)) from None
        self.data, self.node = parse_yaml(self.text, file=str(path))
        if self.data is None:
            self.data = {}
        if not isinstance(self.data, dict):
            raise ScenarioError(
                f"a scenario file must be a mapping of keys, got {type(self.data).__name__}",
                file=str(path),
            )

    def line_of(self, path: tuple[str | int, ...]) -> int | None:
        """Line (1-based) of the deepest node along ``path`` in this file, if any."""
        node = self.node
        line = None
        for key in path:
            if isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    if k.value == str(key):
                        line = k.start_mark.line + 1
                        node = v
                        break
                else:
                    return line
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
                if key >= len(node.value):
                    return line
                node = node.value[key]
                line = node.start_mark.line + 1
            else:
                return line
        return line
