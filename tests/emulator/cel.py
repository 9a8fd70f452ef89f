# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The part of CEL the emulator's ``filter`` understands, as ngrok's API filtering documents it.

``obj.<field> == "v"`` and ``!=``, list membership ``obj.<field> in ["a", "b"]``, dotted fields, ``!``, ``&&``,
``||`` (``&&`` binds tighter) and parentheses; string literals in double or single quotes. Anything else is not
understood, and the emulator answers it with ngrok's HTTP 400, as the API answers an invalid expression.
"""

import re

_TOKEN = re.compile(r'''\s*(?:
    (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<field>obj(?:\.\w+)+)
  | (?P<word>[A-Za-z_]\w*)
  | (?P<op>&&|\|\||==|!=|!|\(|\)|\[|\]|,)
)''', re.VERBOSE)


def _tokens(expr):
    tokens, pos = [], 0
    while pos < len(expr):
        if expr[pos:].strip() == "":
            break
        m = _TOKEN.match(expr, pos)
        if not m:
            return None
        pos = m.end()
        kind = m.lastgroup
        text = m.group(kind)
        if kind == "word" and text != "in":
            return None
        tokens.append((kind, text))
    return tokens


def _literal(text):
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _field(obj, path):
    value = obj
    for name in path:
        value = value.get(name) if isinstance(value, dict) else None
    return value


class _Parser:
    def __init__(self, tokens):
        self.tokens = tokens
        self.pos = 0

    def peek(self):
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self, kind=None, text=None):
        if self.pos >= len(self.tokens):
            raise ValueError("unexpected end")
        token = self.tokens[self.pos]
        if (kind and token[0] != kind) or (text and token[1] != text):
            raise ValueError("unexpected %s" % token[1])
        self.pos += 1
        return token[1]

    def joined(self, op, operand, combine):
        """``operand (op operand)*``, its terms combined by ``any`` or ``all``."""
        terms = [operand()]
        while self.peek() == op:
            self.take()
            terms.append(operand())
        return lambda obj: combine(term(obj) for term in terms)

    def either(self):
        return self.joined("||", self.both, any)

    def both(self):
        return self.joined("&&", self.unary, all)

    def unary(self):
        if self.peek() == "!":
            self.take()
            inner = self.unary()
            return lambda obj: not inner(obj)
        if self.peek() == "(":
            self.take()
            inner = self.either()
            self.take("op", ")")
            return inner
        return self.comparison()

    def comparison(self):
        path = self.take("field").split(".")[1:]
        op = self.take()
        if op in ("==", "!="):
            value = _literal(self.take("string"))
            if op == "==":
                return lambda obj: _field(obj, path) == value
            return lambda obj: _field(obj, path) != value
        if op != "in":
            raise ValueError("unexpected %s" % op)
        self.take("op", "[")
        values = set()
        if self.peek() != "]":
            values.add(_literal(self.take("string")))
            while self.peek() == ",":
                self.take()
                values.add(_literal(self.take("string")))
        self.take("op", "]")
        return lambda obj: isinstance(_field(obj, path), str) and _field(obj, path) in values


def compile_filter(expr):
    """A predicate ``obj -> bool`` for ``expr``, or None when the emulator does not understand it."""
    tokens = _tokens(expr)
    if not tokens:
        return None
    parser = _Parser(tokens)
    try:
        predicate = parser.either()
    except ValueError:
        return None
    if parser.pos != len(tokens):
        return None
    return predicate
