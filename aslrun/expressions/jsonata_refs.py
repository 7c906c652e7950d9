"""Static checks on a JSONata expression's references, as AWS makes them when a definition is created.

A Step Functions JSONata expression has no implicit input document: a field name, ``$`` or ``$$``
at the top level of an expression reads nothing, and AWS refuses the definition ("Reference to
'phone' at the top level is not supported."). Names inside a path after its first step, inside
predicates and inside function bodies have a context and are fine.
"""

from __future__ import annotations

from typing import Any

__all__ = ["StatesReference", "reads_context", "top_level_problems"]


class StatesReference:
    """Which ``$states`` members an expression reads (``input``, ``result``, ``errorOutput``...)."""

    def __init__(self) -> None:
        self.members: set[str] = set()
        #: ``$states`` used as a whole (passed to a function, say): any member may be read
        self.whole = False


def _children(node: Any) -> list[Any]:
    kind = node.type
    out: list[Any] = []
    if kind in ("binary", "apply"):
        out += [node.lhs, node.rhs]
    elif kind == "condition":
        out += [node.condition, node.then, getattr(node, "_else", None)]
    elif kind == "block":
        out += list(node.expressions or [])
    elif kind == "bind":
        out.append(node.rhs)
    elif kind in ("function", "partial"):
        out += list(node.arguments or [])
        if node.procedure is not None and node.procedure.type != "variable":
            out.append(node.procedure)
    elif kind == "unary":
        if node.value == "{":
            for pair in node.lhs_object or []:
                out += list(pair)
        elif node.value == "[":
            out += list(node.expressions or [])
        else:
            out.append(getattr(node, "expression", None))
    return [c for c in out if c is not None and hasattr(c, "type")]


def reads_context(texts: list[str]) -> bool:
    """Could any of these expressions read ``$states.context``? (True when unsure.)"""
    for text in texts:
        refs = StatesReference()
        top_level_problems(text, refs)
        if refs.whole or "context" in refs.members or "$states" in text and not _parses(text):
            return True
    return False


def _parses(text: str) -> bool:
    from aslrun.expressions._jsonata_lib import Parser

    try:
        Parser().parse(text)
    except Exception:
        return False
    return True


def top_level_problems(text: str, refs: StatesReference | None = None) -> list[str]:
    """Messages for references that read no document; fills ``refs`` with the ``$states`` members read."""
    from aslrun.expressions._jsonata_lib import Parser

    try:
        ast = Parser().parse(text)
    except Exception:  # syntax errors are reported by check_syntax
        return []
    problems: list[str] = []
    refs = refs if refs is not None else StatesReference()

    def visit(node: Any, top: bool = True) -> None:
        kind = node.type
        if kind == "lambda":
            # A function body gets its context from its caller: only its $states reads matter.
            if getattr(node, "body", None) is not None:
                visit(node.body, top=False)
            return
        if kind == "path":
            steps = node.steps or []
            first = steps[0] if steps else None
            if first is None:
                return
            if first.type == "name":
                if top:
                    problems.append(f"Reference to '{first.value}' at the top level is not supported.")
            elif first.type == "variable" and first.value in ("", "$"):
                if top:
                    problems.append(f"Reference to '${first.value}' at the top level is not supported.")
            elif first.type == "variable" and first.value == "states":
                second = steps[1] if len(steps) > 1 else None
                if second is not None and second.type == "name":
                    refs.members.add(str(second.value))
                else:
                    refs.whole = True
            else:
                visit(first, top)
            for step in steps[1:]:
                visit_states_only(step)
            return
        if kind == "variable":
            if node.value in ("", "$") and top:
                problems.append(f"Reference to '${node.value}' at the top level is not supported.")
            elif node.value == "states":
                refs.whole = True
            return
        if kind == "name":
            if top:
                problems.append(f"Reference to '{node.value}' at the top level is not supported.")
            return
        for child in _children(node):
            visit(child, top)

    def visit_states_only(node: Any) -> None:
        # Later path steps and their predicates have a context; only their $states reads matter.
        visit(node, top=False)
        for attr in ("stages", "predicate"):
            for stage in getattr(node, attr, None) or []:
                inner = getattr(stage, "expr", None) or getattr(stage, "lhs", None)
                if inner is not None and hasattr(inner, "type"):
                    visit(inner, top=False)

    visit(ast)
    return problems
