"""XPath syntax of XLSForm expressions: tokens, a parser and the syntax tree.

:func:`parse` reads an expression such as ``". >= 10 and selected(${reasons}, 'other')"`` into
a tree of small frozen nodes (:class:`Number`, :class:`String`, :class:`Field` for
``${name}``, :class:`Name` for a bare name, :class:`Current` for ``.``, :class:`Call`,
:class:`Negate`, :class:`Chain` for operators of one precedence level). Precedence is XPath
1.0's: ``or`` < ``and`` < ``=`` ``!=`` < ``<`` ``<=`` ``>`` ``>=`` < ``+`` ``-`` < ``*`` ``div``
``mod`` < unary minus. Names may contain ``-`` and ``.`` as in XPath (``count-selected``).
Syntax errors raise :class:`~evaluation.errors.ExpressionError` naming the character where
reading stopped; XPath paths and predicates (``/data/x``, ``item[...]``, ``..``) raise
:class:`~evaluation.errors.UnsupportedExpressionError`. What the functions mean, and
evaluating a tree, is :mod:`evaluation.expressions`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from evaluation.errors import ExpressionError, UnsupportedExpressionError

__all__ = [
    "MAX_DEPTH",
    "Call",
    "Chain",
    "Current",
    "Field",
    "Name",
    "Negate",
    "Node",
    "Number",
    "String",
    "parse",
    "walk",
]

MAX_DEPTH = 50
"""Deepest nesting of parentheses, calls and unary minus an expression may have."""


# --------------------------------------------------------------------------- tokens
class _Token(NamedTuple):
    kind: str  # number, string, field, op, name, dot, path, end
    text: str
    pos: int

    def describe(self) -> str:
        return "the end of the expression" if self.kind == "end" else repr(self.text)


_NAME = r"[^\W\d][\w.\-]*"
_TOKEN_RE = re.compile(
    rf"""
    (?P<ws>\s+)
  | (?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)
  | (?P<field>\$\{{)
  | (?P<string>'[^']*'|"[^"]*")
  | (?P<op>!=|<=|>=|[-+*=<>(),])
  | (?P<path>\.\.|//|/|\[|\]|@|\||::)
  | (?P<dot>\.)
  | (?P<name>{_NAME}(?::{_NAME})?)
    """,
    re.VERBOSE,
)
_FIELD_NAME = re.compile(rf"\s*({_NAME})\s*")
_CURLY_QUOTES = "‘’“”‚„′″"


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if match is None:
            raise _syntax_error(text, pos, _unexpected_character(text[pos]))
        kind = match.lastgroup or ""
        if kind == "field":
            token, pos = _field_token(text, pos)
            tokens.append(token)
            continue
        if kind != "ws":
            tokens.append(_Token(kind, match.group(), pos))
        pos = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _unexpected_character(char: str) -> str:
    if char in "'\"":
        return f"the string that starts with {char} is not closed"
    if char in _CURLY_QUOTES:
        return f"unexpected curly quote {char!r}; write strings in straight quotes ' or \""
    if char == "$":
        return "unexpected '$'; a field is written ${name}"
    return f"unexpected character {char!r}"


def _field_token(text: str, pos: int) -> tuple[_Token, int]:
    close = text.find("}", pos)
    if close < 0:
        raise _syntax_error(text, pos, "'${' is not closed with '}'")
    inner = text[pos + 2 : close]
    if inner.startswith("last-saved#"):
        raise UnsupportedExpressionError(
            f"expression {text!r}: ${{last-saved#...}} (a value from the last saved form) "
            "cannot be evaluated on exported data",
            text,
            pos,
        )
    match = _FIELD_NAME.fullmatch(inner)
    if match is None:
        raise _syntax_error(text, pos, f"{text[pos : close + 1]!r} is not a valid field name")
    return _Token("field", match.group(1), pos), close + 1


def _syntax_error(text: str, pos: int, reason: str) -> ExpressionError:
    near = text[pos : pos + 12]
    where = f"at character {pos + 1} (near {near!r})" if near else "at the end"
    return ExpressionError(f"cannot read expression {text!r}: {reason} {where}", text, pos)


# --------------------------------------------------------------------------- syntax tree
@dataclass(frozen=True)
class Number:
    """A number literal."""

    value: float
    pos: int


@dataclass(frozen=True)
class String:
    """A string literal."""

    value: str
    pos: int


@dataclass(frozen=True)
class Field:
    """``${name}``: the answer to question ``name``."""

    name: str
    pos: int


@dataclass(frozen=True)
class Name:
    """A bare name (an XPath child step): a column, e.g. a choice column in a choice_filter."""

    name: str
    pos: int


@dataclass(frozen=True)
class Current:
    """``.``: the answer being checked."""

    pos: int


@dataclass(frozen=True)
class Call:
    """A function call."""

    name: str
    args: tuple[Node, ...]
    pos: int


@dataclass(frozen=True)
class Negate:
    """Unary minus."""

    operand: Node
    pos: int


@dataclass(frozen=True)
class Chain:
    """Operators of one precedence level applied left to right: ``first op1 x1 op2 x2 ...``."""

    first: Node
    rest: tuple[tuple[str, Node], ...]
    pos: int


Node = Number | String | Field | Name | Current | Call | Negate | Chain

_LEVELS: tuple[frozenset[str], ...] = (
    frozenset({"or"}),
    frozenset({"and"}),
    frozenset({"=", "!="}),
    frozenset({"<", "<=", ">", ">="}),
    frozenset({"+", "-"}),
    frozenset({"*", "div", "mod"}),
)


class _Parser:
    """Recursive descent over XPath 1.0 precedence: or < and < = < relational < + < * < unary."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.depth = 0

    def parse(self) -> Node:
        if self.tokens[0].kind == "end":
            raise ExpressionError("the expression is empty", self.text, 0)
        node = self._level(0)
        token = self._peek()
        if token.kind != "end":
            raise self._unexpected(token, "an operator or the end of the expression")
        return node

    def _peek(self) -> _Token:
        return self.tokens[self.index]

    def _take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _unexpected(self, token: _Token, expected: str) -> ExpressionError:
        if token.kind == "path":
            return UnsupportedExpressionError(
                f"expression {self.text!r} uses XPath path syntax {token.text!r} at character "
                f"{token.pos + 1}; paths, predicates and instance() lookups are not evaluated "
                "by the workbench",
                self.text,
                token.pos,
            )
        return _syntax_error(self.text, token.pos, f"expected {expected}, found {token.describe()}")

    def _enter(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _syntax_error(self.text, pos, f"nested more than {MAX_DEPTH} levels deep")

    def _level(self, level: int) -> Node:
        if level == len(_LEVELS):
            return self._unary()
        operators = _LEVELS[level]
        first = self._level(level + 1)
        rest: list[tuple[str, Node]] = []
        while (token := self._peek()).kind in ("op", "name") and token.text in operators:
            self._take()
            rest.append((token.text, self._level(level + 1)))
        return Chain(first, tuple(rest), first.pos) if rest else first

    def _unary(self) -> Node:
        token = self._peek()
        if token.kind == "op" and token.text == "-":
            self._take()
            self._enter(token.pos)
            operand = self._unary()
            self.depth -= 1
            return Negate(operand, token.pos)
        return self._primary()

    def _primary(self) -> Node:
        token = self._take()
        if token.kind == "number":
            return Number(float(token.text), token.pos)
        if token.kind == "string":
            return String(token.text[1:-1], token.pos)
        if token.kind == "field":
            return Field(token.text, token.pos)
        if token.kind == "dot":
            return Current(token.pos)
        if token.kind == "op" and token.text == "(":
            self._enter(token.pos)
            node = self._level(0)
            self._expect(")")
            self.depth -= 1
            return node
        if token.kind == "name":
            if self._peek().text == "(" and self._peek().kind == "op":
                return self._call(token)
            return Name(token.text, token.pos)
        raise self._unexpected(token, "a value")

    def _call(self, name: _Token) -> Call:
        self._take()  # "("
        self._enter(name.pos)
        args: list[Node] = []
        if not (self._peek().kind == "op" and self._peek().text == ")"):
            args.append(self._level(0))
            while self._peek().kind == "op" and self._peek().text == ",":
                self._take()
                args.append(self._level(0))
        self._expect(")")
        self.depth -= 1
        return Call(name.text, tuple(args), name.pos)

    def _expect(self, text: str) -> None:
        token = self._take()
        if not (token.kind == "op" and token.text == text):
            expected = "')' or ','" if text == ")" else repr(text)
            raise self._unexpected(token, expected)


def walk(node: Node) -> Iterable[Node]:
    """Every node of the tree, depth first."""
    yield node
    if isinstance(node, Call):
        for arg in node.args:
            yield from walk(arg)
    elif isinstance(node, Negate):
        yield from walk(node.operand)
    elif isinstance(node, Chain):
        yield from walk(node.first)
        for _, operand in node.rest:
            yield from walk(operand)


def parse(text: str) -> Node:
    """The syntax tree of an XLSForm expression.

    Raises
    ------
    ExpressionError
        The text is not an expression; ``error.position`` is the 0-based character where
        reading stopped, and the message quotes the text and names that character (1-based).
    UnsupportedExpressionError
        The text uses XPath paths, predicates or ``${last-saved#...}``.
    """
    return _Parser(text).parse()
