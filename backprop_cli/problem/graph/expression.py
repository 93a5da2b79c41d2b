"""The expressions of `backprop graph`, read with Python's ast module and never evaluated.

Allowed: numbers, input names, + - * / and ** (a variable exponent too), unary minus,
parentheses, the functions of engine.graph.ops.FUNCTIONS (also as sources write them:
np.exp, math.log, torch.sigmoid, ln, and micrograd's methods x.relu(), (a*b).tanh()), and
named steps, one per line or separated by `;` (`s = sigmoid(y); f = (x + s) /
(sigmoid(x) + (x + y)**2)`, an optional `let` in front). A name may be assigned again
(`c = c * 2`, `c += d`, as micrograd writes it): each assignment is a node of its own, the
later ones named c_2, c_3, ... Anything else is refused with the token and where it is: the
text is checked character by character and for depth before Python's parser sees it,
and the tree is only read, so nothing runs but the whitelisted arithmetic of the engine.
"""

from __future__ import annotations

import ast
import keyword
import warnings

from backprop_cli.engine.graph.ops import ALIASES, FUNCTIONS
from backprop_cli.engine.graph.steps import Apply, Const, Program, Ref, Step
from backprop_cli.errors import ProblemError
from backprop_cli.problem.graph import spellings
from backprop_cli.problem.graph import text as text_rules
from backprop_cli.problem.graph.spellings import MODULES

MAX_DEPTH = 100  # nested operations; a named step starts again from 0
MAX_NODES = 10_000
BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
          ast.MatMult: "@"}
EXPECTED = ("expected numbers, input names, + - * / ** @, .T, parentheses or the functions "
            + ", ".join(FUNCTIONS))
DEPTH_HINT = f"expected at most {MAX_DEPTH} (name intermediate steps: s = ...; f = ...)"
OUTPUT_NAMES = ("f", "out", "output")


def parse(text: str, source: str, key: str | None = None) -> Program:
    """The Program of `text`. Messages name `source` and the place: key (the file's key,
    or None on the command line), the line when there are several, and the column."""
    return _Parser(text_rules.ascii_minus(text), source, key).program()


class _Parser:
    def __init__(self, text: str, source: str, key: str | None):
        self.text, self.source, self.key = text, source, key
        self.multiline = sum(1 for line in text.split("\n") if line.strip()) > 1
        self.lines, self.indent = text_rules.prepare(text, self.fail_at)
        self.inputs: list[str] = []
        self.steps: dict[str, bool] = {}  # step name -> is it a constant
        self.used: set[str] = set()
        self.assigned: set[str] = set()
        self.current: dict[str, str] = {}  # a name as written -> its latest step's name
        self.written: set[str] = set()  # every name the expression writes

    # -------------------------------------------------------------- messages

    def where(self, lineno: int | None, col0: int, raw: bool = False) -> str | None:
        parts = [self.key] if self.key else []
        if lineno is not None:
            col = col0 + 1 + (0 if raw else self.indent[lineno - 1])
            parts.append(f"line {lineno}, column {col}" if self.multiline else f"column {col}")
        return ", ".join(parts) or None

    def fail_at(self, lineno, col0, message, raw=False):
        raise ProblemError(self.source, self.where(lineno, col0, raw), message)

    def fail(self, node, message):
        self.fail_at(node.lineno, node.col_offset, message)

    def segment(self, node, quoted: bool = True) -> str:
        text = ast.get_source_segment("\n".join(self.lines), node) or type(node).__name__
        text = " ".join(text.split())
        text = text if len(text) <= 30 else text[:27] + "..."
        return repr(text) if quoted else text

    # -------------------------------------------------------------- the tree

    def program(self) -> Program:
        module = self.parse_tree()
        body = module.body
        if not body:
            self.fail_at(None, 0, f"found no expression, {EXPECTED}")
        self.written = {n.id for n in ast.walk(module) if isinstance(n, ast.Name)}
        self.assigned = {t.id for s in body if isinstance(s, ast.Assign)
                         for t in s.targets if isinstance(t, ast.Name)} | \
            {s.target.id for s in body if isinstance(s, ast.AugAssign)
             and isinstance(s.target, ast.Name)}
        if len(body) > 1 and isinstance(body[-1], ast.Expr) and \
                isinstance(body[-1].value, ast.Name) and \
                body[-1].value.id == _target(body[-2]):
            body = body[:-1]  # `c = ...; c` names the output c, as a notebook cell ends
        steps = [self.statement(s, i == len(body) - 1) for i, s in enumerate(body)]
        output = steps[-1]
        if self.steps[output.name]:
            self.fail(body[-1], f"found {output.name} without any input (a constant), "
                                "expected an expression of the inputs")
        for stmt, step in zip(body[:-1], steps[:-1]):
            if step.name not in self.used:
                written = _target(stmt) or step.name
                shown = written if written == step.name else f"{written} (its node {step.name})"
                self.fail(stmt, f"found {shown} assigned but never used, expected every "
                                f"step to lead to {output.name}")
        return Program(self.source, self.text, tuple(self.inputs), tuple(steps))

    def parse_tree(self) -> ast.Module:
        try:
            with warnings.catch_warnings():  # "1if x else 2": Python warns, we refuse
                warnings.simplefilter("ignore", SyntaxWarning)
                module = ast.parse("\n".join(self.lines), mode="exec")
        except SyntaxError as e:
            self.syntax_error(e)
        except (RecursionError, MemoryError):  # the parser's own stack ran out
            self.fail_at(None, 0, "found operations nested too deeply for the parser, "
                         + DEPTH_HINT)
        self.check_size(module)
        return module

    def syntax_error(self, e: SyntaxError):
        if e.lineno is None or e.lineno > len(self.lines):
            self.fail_at(None, 0, f"found {e.msg}, {EXPECTED}")
        col0 = max((e.offset or 1) - 1, 0)
        token = text_rules.token_at(self.lines[e.lineno - 1], col0)
        word = text_rules.keyword_before(self.lines, e.lineno, col0)
        if word is not None:
            self.fail_at(word[0], word[1], text_rules.reserved(word[2]))
        self.fail_at(e.lineno, col0, text_rules.syntax(e.msg, token, EXPECTED))

    def check_size(self, module):
        """Depth and size, without recursion: the conversion below recurses."""
        stack, count = [(module, 0)], 0
        while stack:
            node, depth = stack.pop()
            count += 1
            if count > MAX_NODES:
                self.fail_at(None, 0, f"found more than {MAX_NODES} parts, expected a "
                                      "smaller expression")
            if isinstance(node, ast.expr):
                depth += 1
                if depth > MAX_DEPTH:
                    self.fail(node, f"found operations nested more than {MAX_DEPTH} deep, "
                              + DEPTH_HINT)
            stack.extend((child, depth) for child in ast.iter_child_nodes(node))

    def statement(self, stmt, last: bool) -> Step:
        if isinstance(stmt, ast.Assign | ast.AugAssign):
            target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
            if isinstance(stmt, ast.Assign) and len(stmt.targets) != 1:
                self.fail(stmt, "found a chained assignment, expected one name per step")
            if not isinstance(target, ast.Name):
                self.fail(target, f"found an assignment to {self.segment(target)}, expected "
                                  "NAME = expression")
            written = target.id
            if written in FUNCTIONS or written in ALIASES or written in MODULES:
                self.fail(target, f"found the function name {written} assigned, expected "
                                  "another name")
            if isinstance(stmt, ast.AugAssign):
                if written not in self.current:
                    self.fail(target, f"found {self.segment(stmt)} before any {written} = "
                                      f"..., expected {written} = expression first (an "
                                      "input is not assigned)")
                # c += d is c = c + d, its operator where += is written
                left = ast.copy_location(ast.Name(id=written, ctx=ast.Load()), target)
                value = ast.copy_location(ast.BinOp(left=left, op=stmt.op, right=stmt.value),
                                          stmt)
                stmt = ast.copy_location(ast.Assign(targets=[target], value=value), stmt)
            name = self.rename(written)
        elif isinstance(stmt, ast.Expr) and last:
            taken = self.assigned | set(self.inputs) | set(self.steps) | \
                {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}
            name = next((n for n in OUTPUT_NAMES if n not in taken), None) or \
                next(f"f{i}" for i in range(1, len(taken) + 2) if f"f{i}" not in taken)
            written = name
        elif isinstance(stmt, ast.Expr):
            self.fail(stmt, "found an expression that is not the last step and has no name, "
                            "expected NAME = expression")
        else:
            self.fail(stmt, f"found the statement {self.segment(stmt)}, expected NAME = "
                            "expression, or an expression")
        value = self.expr(stmt.value)
        if isinstance(value, Ref) and not self.constant(value):
            was = self.segment(stmt.value, quoted=False)  # the name as written
            self.fail(stmt.value, f"found {written} = {was}, which only renames {was}, "
                                  "expected an operation")
        self.steps[name] = self.constant(value)
        self.current[written] = name
        return Step(name, value)

    def rename(self, written: str) -> str:
        """The step's name: the name as written, or for a name assigned again c_2, c_3, ...
        (the first free one)."""
        if written not in self.current:
            return written
        taken = self.written | set(self.steps)  # never a name the expression writes itself
        return next(f"{written}_{k}" for k in range(2, len(taken) + 3)
                    if f"{written}_{k}" not in taken)

    def constant(self, expr) -> bool:
        if isinstance(expr, Const):
            return True
        if isinstance(expr, Ref):
            return self.steps.get(expr.name, False)
        return all(self.constant(a) for a in expr.args)

    def expr(self, node):
        if isinstance(node, ast.Constant):
            return self.number(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = self.expr(node.operand)
            if isinstance(node.op, ast.UAdd):
                return inner
            if isinstance(inner, Const):  # -2 is a number, not an operation
                return Const(-inner.value)
            return Apply("neg", (inner,), self.where(node.lineno, node.col_offset))
        if isinstance(node, ast.BinOp):
            return self.binary(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.Attribute) and node.attr == "T":  # W.T: the transpose
            return Apply("T", (self.expr(node.value),), self.where(node.lineno,
                                                                    node.col_offset))
        if isinstance(node, ast.Attribute) and node.attr in spellings.INSTEAD:  # W.mT
            self.fail(node, f"found the attribute access {self.segment(node)}, expected "
                            + spellings.INSTEAD[node.attr])
        found = text_rules.REFUSED.get(type(node), "the syntax")
        if isinstance(node, ast.List):  # [1, 2] @ x: a vector is an input's value
            self.fail(node, f"found {found} {self.segment(node)}, expected "
                            + spellings.INSTEAD["tensor"])
        self.fail(node, f"found {found} {self.segment(node)}, {EXPECTED}")

    def binary(self, node: ast.BinOp) -> Apply:
        lineno, col0 = text_rules.operator_at(self.lines, node)
        op = BINARY.get(type(node.op))
        if op is None:
            token = text_rules.token_at(self.lines[lineno - 1], col0)
            if token == "'^'":  # a power in maths, an exclusive or in Python
                self.fail_at(lineno, col0, "found the operator '^', expected ** for a power "
                                           "(x**2)")
            self.fail_at(lineno, col0, f"found the operator {token}, {EXPECTED}")
        left, right = self.expr(node.left), self.expr(node.right)
        if op == "**" and not self.constant(right):  # x**y, 2**x: ∂/∂y = x**y ln x too
            op = "pow"
        return Apply(op, (left, right), self.where(lineno, col0))

    def call(self, node: ast.Call) -> Apply:
        return spellings.call(self, node)

    def number(self, node: ast.Constant) -> Const:
        v = node.value
        segment = self.segment(node, quoted=False)
        if keyword.iskeyword(segment):  # True, False, None
            self.fail(node, text_rules.reserved(segment))
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            found = text_rules.describe_constant(v, self.segment(node, quoted=False))
            self.fail(node, f"found {found}, {EXPECTED}")
        try:
            value = float(v)
        except OverflowError:
            value = float("inf")
        if value in (float("inf"), float("-inf")):
            self.fail(node, f"found the number {self.segment(node)}, beyond float64's range, "
                            "expected a number below 1.8e308")
        return Const(value)

    def name(self, node: ast.Name) -> Ref:
        name = node.id
        if name in FUNCTIONS or name in ALIASES:
            self.fail(node, f"found the function {name} without arguments, expected "
                            f"{name}(...), or another name for an input")
        if name in MODULES:
            self.fail(node, f"found {name} on its own, expected {name}.exp(...) or another "
                            "of its functions, or another name for an input")
        if name in self.current:
            name = self.current[name]  # the latest assignment
            self.used.add(name)
            return Ref(name)
        if name in self.steps:
            self.used.add(name)
        elif name in self.assigned:
            self.fail(node, f"found {name} before the step that assigns it, expected steps in "
                            "order, each after the ones it uses")
        elif name not in self.inputs:
            self.inputs.append(name)
        return Ref(name)


def _target(stmt) -> str | None:
    """The name a statement assigns (c = ..., c += ...), else None."""
    target = stmt.targets[0] if isinstance(stmt, ast.Assign) else \
        stmt.target if isinstance(stmt, ast.AugAssign) else None
    return target.id if isinstance(target, ast.Name) else None
