"""The text of an expression before and around Python's parser: characters and nesting
checked first (so hostile text costs nothing and gets a column), `let` and indentation
set aside (their widths kept, so columns stay those of the text as written), and the
names of tokens and of syntax that is refused.
"""

from __future__ import annotations

import ast
import io
import keyword
import re
import tokenize

MAX_CHARS = 100_000
MAX_PARENS = 100
MINUS = "\u2212"  # the minus sign of typeset maths (a PDF's), read as '-'
_HINTS = {"–": "'-'", "×": "'*'", "·": "'*'", "÷": "'/'", "σ": "sigmoid(...)",
          "²": "**2", "√": "sqrt(...)"}
_LET_START = re.compile(r"let\s+(?=[A-Za-z_]\w*\s*=(?!=))")
_LET_AFTER = re.compile(r"(;\s*)let(?=\s+[A-Za-z_]\w*\s*=(?!=))")
_TOKEN = re.compile(r"[0-9.][0-9A-Za-z_.]*|[A-Za-z_]\w*|\*\*=?|//=?|<<|>>|[-+*/%@&|^<>=!:]=|->|\S")
_OPENING, _CLOSING = "([{", ")]}"

REFUSED = {
    ast.Attribute: "the attribute access", ast.Subscript: "the subscript",
    ast.Lambda: "a lambda", ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension", ast.DictComp: "a dict comprehension",
    ast.GeneratorExp: "a generator expression", ast.Compare: "the comparison",
    ast.BoolOp: "the boolean operation", ast.IfExp: "the conditional expression",
    ast.Tuple: "a tuple", ast.List: "a list", ast.Dict: "a dict", ast.Set: "a set",
    ast.JoinedStr: "an f-string", ast.NamedExpr: "the assignment expression",
    ast.Starred: "the starred argument", ast.Await: "an await", ast.Yield: "a yield",
    ast.YieldFrom: "a yield", ast.Slice: "a slice", ast.UnaryOp: "the operator",
}


def ascii_minus(text: str) -> str:
    """The text with each typeset minus sign (U+2212) written '-', one character for one."""
    return text.replace(MINUS, "-")


def prepare(text: str, fail_at) -> tuple[list[str], list[int]]:
    """(lines for the parser, each line's set-aside indentation). fail_at(lineno, col0,
    message, raw=True) reports a position in the text as written."""
    if len(text) > MAX_CHARS:
        fail_at(None, 0, f"found an expression of {len(text)} characters, expected at most "
                         f"{MAX_CHARS}")
    raw = text.replace("\r\n", "\n").split("\n")
    depth = 0
    for lineno, line in enumerate(raw, 1):
        for col0, ch in enumerate(line):
            if not (ch.isascii() and (ch.isprintable() or ch == "\t")):
                fail_at(lineno, col0, _character(ch), raw=True)
            depth += (ch in _OPENING) - (ch in _CLOSING)
            if depth > MAX_PARENS:
                fail_at(lineno, col0, f"found more than {MAX_PARENS} nested parentheses, "
                                      f"expected at most {MAX_PARENS}", raw=True)
    lines, indents = [], []
    for line in raw:
        body = line.lstrip(" \t")
        indent = len(line) - len(body)
        let = _LET_START.match(body)
        if let:  # `let s = ...`: the keyword is optional and set aside like indentation
            indent += let.end()
            body = body[let.end():]
        lines.append(_LET_AFTER.sub(lambda m: m[1] + "   ", body))
        indents.append(indent)
    return lines, indents


def _character(ch: str) -> str:
    if ch in _HINTS:
        return f"found the character {ch!r}, expected {_HINTS[ch]}"
    if ch.isprintable():
        return f"found the character {ch!r}, expected ASCII text (names are letters, digits " \
               "and _)"
    return f"found the control character {ch!r}, expected printable text"


def token_at(line: str, col0: int) -> str:
    """The token at col0 (or the next one), quoted, as messages name it."""
    rest = line[col0:]
    if not rest.strip():
        return "the end of the line"
    m = _TOKEN.match(line, col0 + len(rest) - len(rest.lstrip()))
    return repr(m[0])


def reserved(word: str) -> str:
    """The message for a Python keyword written as a name."""
    return f"found {word!r}, a reserved word in Python, expected another name: rename it " \
           f"(like {word}_)"


def syntax(msg: str, token: str, expected: str) -> str:
    """The message for Python's syntax error `msg` at token (quoted); expected: what the
    expression takes."""
    if "Exceeds the limit" in msg:
        return "found a number of more than 4300 digits, expected a number float64 can hold"
    if "never closed" in msg:
        return f"found {token} that is never closed, expected a matching ')'"
    if "positional argument follows keyword argument" in msg:
        return "found a plain argument after a keyword argument, expected the keyword " \
               "arguments last (max(x, axis=0))"
    if "unmatched" in msg:
        return f"found an unmatched {token}, {expected}"
    return f"found {token}, {expected}"


def keyword_before(lines: list[str], lineno: int, col0: int) -> tuple[int, int, str] | None:
    """(lineno, col0, word) of the first Python keyword up to (lineno, col0), where the
    parser stopped: `lambda * x` fails because lambda is reserved, not at its end."""
    tokens = tokenize.generate_tokens(io.StringIO("\n".join(lines)).readline)
    try:
        for tok in tokens:
            if tok.start > (lineno, col0):
                break
            if tok.type == tokenize.NAME and keyword.iskeyword(tok.string):
                return tok.start[0], tok.start[1], tok.string
    except (tokenize.TokenError, SyntaxError):  # text the parser refuses anyway
        pass
    return None


def operator_at(lines: list[str], node: ast.BinOp) -> tuple[int, int]:
    """(lineno, col0) of a binary operator: the first token after its left operand and
    any closing parentheses."""
    lineno, col0 = node.left.end_lineno, node.left.end_col_offset
    while lineno <= len(lines):
        line = lines[lineno - 1]
        while col0 < len(line) and line[col0] in " \t)\\":
            col0 += 1
        if col0 < len(line):
            return lineno, col0
        lineno, col0 = lineno + 1, 0
    return node.lineno, node.col_offset


def describe_constant(value, segment: str) -> str:
    if isinstance(value, str):
        return f"the string {segment}"
    if isinstance(value, bytes):
        return f"the bytes {segment}"
    if isinstance(value, complex):
        return f"the imaginary number {segment}"
    return repr(segment)  # True, False, None, ...
