"""The error-code table (server/protocol/errors.py): every code the code base can send is in
it with one HTTP status, the status is chosen there only, and docs/protocol.md lists the
codes. The codes are found by reading the source (ast), not by a list kept in this test."""
import ast
import re
from pathlib import Path

from server import protocol as P

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("server", "game_rules", "clients")

# refusals whose first argument is a code (game_rules' errors reach the wire under their code;
# a selection code may be renamed, P.SELECTION_CODES)
CODE_FIRST = {"ProtocolError", "DecisionError", "NegotiationError", "SelectionError"}


def _name(func: ast.expr) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def _strings(node: ast.expr | None) -> set[str]:
    """The codes an expression can give: a string, either branch of `a if test else b`,
    the values and the default of `{...}.get(key, default)`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body) | _strings(node.orelse)
    if isinstance(node, ast.Dict):
        return set().union(*map(_strings, node.values))
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
            and len(node.args) == 2):
        return _strings(node.func.value) | _strings(node.args[1])
    return set()


def _code_params(tree: ast.Module) -> dict[str, int]:
    """Functions of a module that pass one of their parameters on as the code of a refusal
    (`def check(..., code): ... raise DecisionError(code, ...)`): name -> its position."""
    out = {}
    for f in ast.walk(tree):
        if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names = [a.arg for a in f.args.posonlyargs + f.args.args]
            offset = 1 if names and names[0] in ("self", "cls") else 0
            for n in ast.walk(f):
                if (isinstance(n, ast.Call) and _name(n.func) in CODE_FIRST and n.args
                        and isinstance(n.args[0], ast.Name) and n.args[0].id in names):
                    out[f.name] = names.index(n.args[0].id) - offset
    return out


def _sources():
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            yield path.relative_to(ROOT), tree


def _codes_in(tree: ast.Module) -> dict[str, set[str]]:
    """kind -> the codes a module raises or answers with: the first argument of the refusals
    above, the code of `P.error(id, code, message)` and `metrics.error(code)`, an argument
    a function passes on as a refusal's code, and what is assigned to a variable named `code`."""
    found: dict[str, set[str]] = {}
    params = _code_params(tree)
    for n in ast.walk(tree):
        if isinstance(n, ast.Call):
            name = _name(n.func)
            if name in CODE_FIRST and n.args:
                found.setdefault(name, set()).update(_strings(n.args[0]))
            elif name == "error" and len(n.args) == 3:
                found.setdefault("ProtocolError", set()).update(_strings(n.args[1]))
            elif name == "error" and len(n.args) == 1 and _name(n.func.value) == "metrics":
                found.setdefault("ProtocolError", set()).update(_strings(n.args[0]))
            elif name in params:
                arg = n.args[params[name]] if len(n.args) > params[name] else None
                found.setdefault(name, set()).update(_strings(arg))
        elif isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "code" for t in n.targets):
            found.setdefault("code", set()).update(_strings(n.value))
    return found


def _all_codes() -> dict[str, set[str]]:
    """wire code -> the files it appears in."""
    out: dict[str, set[str]] = {}
    for path, tree in _sources():
        for kind, codes in _codes_in(tree).items():
            for c in codes:
                if kind == "SelectionError":
                    c = P.SELECTION_CODES.get(c, c)
                out.setdefault(c, set()).add(str(path))
    return out


def test_every_code_the_code_base_sends_is_in_the_table_with_one_status():
    codes = _all_codes()
    # the scan sees codes of every kind of source: HTTP, the socket, the rules, a renamed selection code
    assert {"forbidden", "session_ended", "rate_limited", "over_budget", "offer_pending",
            "selection_closed", "duplicate_proposal", "not_contributed", "frame_too_large"} <= codes.keys()
    unknown = {c: sorted(where) for c, where in codes.items() if c not in P.ERRORS}
    assert not unknown, f"codes sent but not in server/protocol/errors.py ERRORS: {unknown}"
    for code, (status, meaning) in P.ERRORS.items():
        assert isinstance(status, int) and 400 <= status <= 599, (code, status)
        assert meaning.strip(), code
        assert P.http_status(code) == status == P.ProtocolError(code, "x").status
    assert P.ERROR_CODES.keys() == P.ERRORS.keys() == P.HTTP_STATUS.keys()


def test_no_call_site_chooses_an_http_status_itself():
    """`ProtocolError(code, message)`: the status comes from the table, never from a third argument."""
    chosen = []
    for path, tree in _sources():
        for n in ast.walk(tree):
            if (isinstance(n, ast.Call) and _name(n.func) in ("ProtocolError", "RateLimited")
                    and (len(n.args) > 2 and _name(n.func) == "ProtocolError"
                         or any(k.arg == "status" for k in n.keywords))):
                chosen.append(f"{path}:{n.lineno}")
    assert not chosen, f"HTTP status chosen outside the error table: {chosen}"


def test_the_statuses_of_codes_answered_over_http():
    """The statuses HTTP clients see (these were chosen at each call site before the table)."""
    expected = {"not_authenticated": 401, "bad_token": 401, "token_expired": 401, "token_revoked": 401,
                "admin_key_required": 401, "forbidden": 403, "consent_required": 403, "unknown_label": 403,
                "not_found": 404, "unknown_code": 404, "unknown_scenario": 404, "unknown_player": 404,
                "unknown_firm": 404, "wrong_phase": 409, "seat_taken": 409, "session_full": 409,
                "selection_off": 409, "selection_closed": 409, "session_ended": 410, "session_archived": 410,
                "rate_limited": 429, "internal_error": 500, "storage_failed": 503, "shutting_down": 503,
                "group_closed": 503, "invalid_options": 400, "out_of_range": 400, "missing_field": 400,
                "bad_request": 400, "frame_too_large": 413}
    assert {c: P.http_status(c) for c in expected} == expected


def test_the_protocol_doc_lists_every_code():
    doc = (ROOT / "docs" / "protocol.md").read_text(encoding="utf-8")
    section = doc[doc.index("## Error codes"):]
    listed = re.findall(r"^\| `([a-z_]+)` \|", section, re.M)
    assert listed == list(P.ERRORS), "run: python -m server.protocol > docs/protocol.md"
