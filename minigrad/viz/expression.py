"""Safe parsing of scalar expressions typed on the command line, into Value graphs.

``"relu(w*x + b) ** 2"`` is parsed with ``ast`` and every node is checked against an
allow-list before anything is built: names, numbers, ``+ - * / **``, unary ``-``,
parentheses, and calls of ``relu tanh sigmoid exp log`` with one argument. Nothing is ever
passed to ``eval``; anything else (attribute access, subscripts, other calls, lambdas,
strings, comprehensions, keyword arguments, ...) is rejected with an ``ExpressionError``
that says what was found and what is allowed.
"""

from __future__ import annotations

import ast
import math
import re

from minigrad.scalar import Value

FUNCTIONS = ("relu", "tanh", "sigmoid", "exp", "log")
# Limits that keep a typed expression small enough to draw in a second or two.
MAX_LENGTH = 300  # characters
MAX_OPERATIONS = 120  # operators and function calls
ALLOWED = (
    "names, numbers, + - * / **, unary -, parentheses and calls of "
    + ", ".join(FUNCTIONS)
)
_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


class ExpressionError(ValueError):
    """An expression (or a --set assignment) outside the allowed language."""


def _describe(node: ast.AST) -> str:
    descriptions = {
        ast.Attribute: "attribute access",
        ast.Subscript: "subscripts",
        ast.Lambda: "lambda",
        ast.ListComp: "comprehensions",
        ast.SetComp: "comprehensions",
        ast.DictComp: "comprehensions",
        ast.GeneratorExp: "comprehensions",
        ast.Compare: "comparisons",
        ast.BoolOp: "boolean operators",
        ast.IfExp: "conditional expressions",
        ast.NamedExpr: "assignment expressions",
        ast.Starred: "starred arguments",
        ast.JoinedStr: "strings",
        ast.List: "lists",
        ast.Tuple: "tuples",
        ast.Dict: "dicts",
        ast.Set: "sets",
        ast.Await: "await",
        ast.Yield: "yield",
        ast.YieldFrom: "yield",
    }
    return descriptions.get(type(node), type(node).__name__)


def parse_expression(source: str) -> tuple[ast.expr, list[str]]:
    """Check ``source`` against the allow-list; return its syntax tree and its names in order.

    Raises ``ExpressionError`` for anything outside the language.
    """
    if not isinstance(source, str):
        raise ExpressionError(f"the expression must be a string, got {type(source).__name__}")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression is {len(source)} characters long; the limit is {MAX_LENGTH}"
        )
    if not source.strip():
        raise ExpressionError(f"the expression is empty; allowed: {ALLOWED}")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        message = getattr(error, "msg", None) or str(error) or type(error).__name__
        raise ExpressionError(f"cannot parse the expression: {message}") from None
    names: list[str] = []
    operations = 0
    # Iterative walk (an explicit stack), checking each node before looking inside it.
    stack: list[ast.AST] = [tree.body]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.BinOp | ast.UnaryOp | ast.Call):
            operations += 1
            if operations > MAX_OPERATIONS:
                raise ExpressionError(
                    f"the expression has more than {MAX_OPERATIONS} operations; "
                    "the limit keeps its drawing readable"
                )
        if isinstance(node, ast.BinOp):
            if type(node.op) not in _BINARY:
                raise ExpressionError(
                    f"operator {type(node.op).__name__} is not allowed; allowed: {ALLOWED}"
                )
            if isinstance(node.op, ast.Pow) and _number_of(node.right) is None:
                raise ExpressionError(
                    "the exponent of ** must be a number (like x ** 2 or x ** -0.5), "
                    f"got {ast.unparse(node.right)!r}"
                )
            stack.extend((node.right, node.left))
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub):
                raise ExpressionError(
                    f"unary operator {type(node.op).__name__} is not allowed; only unary - is"
                )
            stack.append(node.operand)
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                kind = "strings" if isinstance(node.value, str | bytes) else "constants"
                raise ExpressionError(
                    f"not allowed in an expression: {kind} ({node.value!r}); allowed: {ALLOWED}"
                )
            if isinstance(node.value, float) and not math.isfinite(node.value):
                raise ExpressionError(f"the number {node.value!r} is not finite")
        elif isinstance(node, ast.Name):
            if not _NAME.match(node.id):
                raise ExpressionError(
                    f"name {node.id!r} is not allowed: names start with a letter and use "
                    "letters, digits and _"
                )
            if node.id in FUNCTIONS:
                raise ExpressionError(
                    f"{node.id} is a function: call it, as in {node.id}(x)"
                )
            if node.id not in names:
                names.append(node.id)
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                called = ast.unparse(node.func)
                raise ExpressionError(
                    f"calling {called!r} is not allowed; the functions are "
                    + ", ".join(FUNCTIONS)
                )
            if node.keywords or len(node.args) != 1:
                raise ExpressionError(
                    f"{node.func.id}() takes exactly one argument and no keywords"
                )
            stack.append(node.args[0])
        else:
            raise ExpressionError(
                f"not allowed in an expression: {_describe(node)} ({ast.unparse(node)!r}); "
                f"allowed: {ALLOWED}"
            )
    return tree.body, names


def _number_of(node: ast.AST) -> float | None:
    """The value of a literal number or a negated literal number, else None."""
    sign = 1.0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        sign, node = -1.0, node.operand
    if (isinstance(node, ast.Constant) and isinstance(node.value, int | float)
            and not isinstance(node.value, bool)):
        return sign * node.value
    return None


def parse_assignments(texts: list[str] | None) -> dict[str, float]:
    """``["x=2,w=-3", "b=1"]`` -> ``{"x": 2.0, "w": -3.0, "b": 1.0}``."""
    values: dict[str, float] = {}
    for text in texts or []:
        for item in text.split(","):
            item = item.strip()
            if not item:
                continue
            name, sep, number = item.partition("=")
            name = name.strip()
            if not sep or not _NAME.match(name):
                raise ExpressionError(
                    f"--set expects name=number pairs separated by commas, got {item!r}"
                )
            try:
                value = float(number)
            except ValueError:
                raise ExpressionError(f"--set {name}: {number.strip()!r} is not a number") from None
            if not math.isfinite(value):
                raise ExpressionError(f"--set {name}: {number.strip()!r} is not finite")
            if name in values:
                raise ExpressionError(
                    f"--set gives {name} twice ({values[name]:g} and {value:g}); "
                    "give each name once"
                )
            values[name] = value
    return values


def build_value(source: str, values: dict[str, float]) -> tuple[Value, dict[str, Value]]:
    """Parse ``source`` and build its Value graph with the named leaves set from ``values``.

    Returns the output Value (labelled with the expression) and the leaves by name. Every name
    needs a value and every value must be used, so typos are caught.
    """
    tree, names = parse_expression(source)
    missing = [name for name in names if name not in values]
    if missing:
        example = ",".join(f"{name}=1.0" for name in missing)
        raise ExpressionError(
            f"no value for {', '.join(missing)}: pass them with --set {example}"
        )
    unused = [name for name in values if name not in names]
    if unused:
        raise ExpressionError(f"--set gives {', '.join(unused)}, which the expression never uses")
    leaves = {name: Value(values[name], label=name) for name in names}
    result = _build(tree, leaves)
    if not isinstance(result, Value):
        # An expression of numbers only: still a (one-node) graph to draw.
        result = Value(float(result))
    result.label = "out"
    return result, leaves


def _build(node: ast.AST, leaves: dict[str, Value]) -> Value | float:
    # Recursion depth is bounded by MAX_LENGTH (and Python's parser nesting limit).
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return leaves[node.id]
    if isinstance(node, ast.UnaryOp):
        return -_build(node.operand, leaves)
    if isinstance(node, ast.Call):
        argument = _build(node.args[0], leaves)
        if not isinstance(argument, Value):
            argument = Value(argument)
        return getattr(argument, node.func.id)()
    if isinstance(node, ast.BinOp):
        left = _build(node.left, leaves)
        if isinstance(node.op, ast.Pow):
            exponent = _number_of(node.right)
            base = left if isinstance(left, Value) else Value(left)
            return base ** exponent
        right = _build(node.right, leaves)
        if not isinstance(left, Value) and not isinstance(right, Value):
            left = Value(left)
        symbol = _BINARY[type(node.op)]
        if symbol == "+":
            return left + right
        if symbol == "-":
            return left - right
        if symbol == "*":
            return left * right
        return left / right
    raise ExpressionError(f"not allowed in an expression: {_describe(node)}")
