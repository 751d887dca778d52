"""Validation-rule expressions: arithmetic over `#{indicator_code}` operands, evaluated safely.

Only numbers, + - * /, unary minus and parentheses are allowed; anything else is
refused when the rule is saved, so evaluation never runs arbitrary code.
"""

import ast
import re
from decimal import Decimal, DivisionByZero, InvalidOperation

OPERAND_RE = re.compile(r"#\{([a-z0-9_\-]+)(?:\.(numerator|denominator))?\}")


class ExpressionError(ValueError):
    pass


def operands(expression: str) -> list[str]:
    """The operand keys an expression uses: "code" or "code.numerator"."""
    return [
        f"{m.group(1)}.{m.group(2)}" if m.group(2) else m.group(1) for m in OPERAND_RE.finditer(expression)
    ]


def _translate(expression: str) -> tuple[str, list[str]]:
    keys = []

    def sub(match):
        key = f"{match.group(1)}.{match.group(2)}" if match.group(2) else match.group(1)
        keys.append(key)
        return f"_v{len(keys) - 1}"

    return OPERAND_RE.sub(sub, expression), keys


_ALLOWED = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Load)
_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.USub, ast.UAdd)


def check(expression: str) -> None:
    """Raise ExpressionError with a Chinese reason when `expression` is not a valid rule side."""
    source, _keys = _translate(expression)
    if "#" in source or "{" in source:
        raise ExpressionError("指标引用应写成 #{指标代码}")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        raise ExpressionError("表达式语法错误") from None
    for node in ast.walk(tree):
        if isinstance(node, _OPS):
            continue
        if not isinstance(node, _ALLOWED):
            raise ExpressionError("表达式只能包含数字、指标引用和 + - * / 括号")
        if isinstance(node, ast.Constant) and not isinstance(node.value, int | float):
            raise ExpressionError("表达式只能包含数字")
        if isinstance(node, ast.Name) and not node.id.startswith("_v"):
            raise ExpressionError(f"未知名称 {node.id}")


def _eval(node, env):
    if isinstance(node, ast.Expression):
        return _eval(node.body, env)
    if isinstance(node, ast.Constant):
        return Decimal(str(node.value))
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.UnaryOp):
        value = _eval(node.operand, env)
        return -value if isinstance(node.op, ast.USub) else value
    left, right = _eval(node.left, env), _eval(node.right, env)
    if isinstance(node.op, ast.Add):
        return left + right
    if isinstance(node.op, ast.Sub):
        return left - right
    if isinstance(node.op, ast.Mult):
        return left * right
    try:
        return left / right
    except (DivisionByZero, InvalidOperation):
        raise ExpressionError("除数为零") from None


def evaluate(expression: str, values: dict[str, Decimal | None], *, missing_as_zero=False):
    """(result, missing keys). The result is None when an operand is missing and not counted as zero."""
    source, keys = _translate(expression)
    env, missing = {}, []
    for i, key in enumerate(keys):
        value = values.get(key)
        if value is None:
            missing.append(key)
            value = Decimal(0)
        env[f"_v{i}"] = value
    if missing and not missing_as_zero:
        return None, missing
    check(expression)
    return _eval(ast.parse(source, mode="eval"), env), missing
