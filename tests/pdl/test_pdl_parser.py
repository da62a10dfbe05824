"""The procedure parser: dialects, structure, tolerated oddities, and file-relative spans."""

from __future__ import annotations

import textwrap

from agentflow.pdl import check, parse_pdl_text
from agentflow.pdl.ast import Assign, Break, Call, Comment, Def, For, If, Parallel, Return, Text, While, walk
from agentflow.pdl.document import PdlDocument
from agentflow.pdl.expr import Attr, Compare, Const, Name


def doc_of(body: str, header: str = "Name: t\nDesc: d\n", key: str = "Procedure: |\n") -> PdlDocument:
    return parse_pdl_text(header + key + textwrap.indent(textwrap.dedent(body), "  "), "t.pdl")


def test_block_scalar_lines_are_file_lines() -> None:
    doc = doc_of(
        """\
        x = API.first()

        # a comment
        y = API.second(x)
        """,
        header="Name: t\nDesc: d\nAPIs:\n  - name: first\n  - name: second\n",
    )
    first, comment, second = doc.procedure.stmts
    assert isinstance(first, Call) and (first.span.line, first.span.col) == (7, 3)
    assert (first.name_span.line, first.name_span.col) == (7, 11)
    assert isinstance(comment, Comment) and comment.text == "a comment" and comment.span.line == 9
    assert isinstance(second, Call) and second.span.line == 10 and [a.text for a in second.args] == ["x"]


def test_indentation_indicator_block_scalar() -> None:
    text = "Name: t\nDesc: d\nProcedure: |4\n    a = ANSWER.ask()\n    if a:\n        ANSWER.bye()\n"
    doc = parse_pdl_text(text, "t.pdl")
    assign, cond = doc.procedure.stmts
    assert isinstance(assign, Call) and (assign.span.line, assign.span.col) == (4, 5)
    assert isinstance(cond, If)
    inner = cond.branches[0].body.stmts[0]
    assert isinstance(inner, Call) and (inner.name_span.line, inner.name_span.col) == (6, 16)


def test_both_call_styles_and_unicode_names() -> None:
    doc = doc_of(
        """\
        [a, b] = API_check_x([p, q])
        ANSWER.请问您贵姓，怎么称呼()
        [c] = ANSWER.请问您的快件寄往哪个国家/地区？
        ANSWER_Please_provide_necessary_information()
        """
    )
    calls = list(doc.calls())
    assert [(c.kind, c.name, c.style) for c in calls] == [
        ("API", "check_x", "underscore"),
        ("ANSWER", "请问您贵姓，怎么称呼", "dot"),
        ("ANSWER", "请问您的快件寄往哪个国家/地区？", "dot"),
        ("ANSWER", "Please_provide_necessary_information", "underscore"),
    ]
    assert [t.name for t in calls[0].targets] == ["a", "b"]
    assert [a.text for a in calls[0].args] == ["p", "q"]  # FlowAgent's single list argument is flattened


def test_multiline_call_is_one_statement() -> None:
    doc = doc_of(
        """\
        [r] = API.book(
            plan_code,
            cabin_type)
        ANSWER.done()
        """
    )
    book, done = doc.procedure.stmts
    assert isinstance(book, Call) and book.closed and [a.text for a in book.args] == ["plan_code", "cabin_type"]
    assert (book.args[1].span.line, book.args[1].span.col) == (6, 7)
    assert isinstance(done, Call) and done.span.line == 7


def test_missing_colon_prose_and_stray_lines_are_tolerated() -> None:
    doc = doc_of(
        """\
        if type == "0"
            ANSWER.no_hospital()
        choice = ask the user whether another day is fine
        inform the user politely, then stop
        """
    )
    cond, assign, stray = doc.procedure.stmts
    assert isinstance(cond, If) and cond.branches[0].cond.expr is not None
    assert isinstance(assign, Assign) and assign.value.expr is None  # prose value kept as text
    assert isinstance(stray, Text) and stray.text == "inform the user politely, then stop"
    assert (stray.span.line, stray.span.col) == (7, 3)
    codes = [d.code for d in doc.diagnostics]
    assert codes == ["missing-colon"]


def test_if_elif_else_chain_and_comment_only_branch() -> None:
    doc = doc_of(
        """\
        if x == 1:
            ANSWER.one()
        elif x == 2:
            # say two
        else:
            ANSWER.other()
        """
    )
    (stmt,) = doc.procedure.stmts
    assert isinstance(stmt, If) and len(stmt.branches) == 2 and stmt.orelse is not None
    assert stmt.branches[1].body.is_comment_only
    assert stmt.else_span is not None and stmt.else_span.line == 8
    warnings = [d for d in check(doc) if d.code == "comment-only"]
    assert [(d.severity, d.location.line) for d in warnings] == [("warning", 6)]


def test_condition_with_call_inside() -> None:
    doc = doc_of(
        """\
        while True:
            [loc] = ANSWER.ask()
            if API.check_location([loc]) == True:
                break
        """
    )
    (loop,) = doc.procedure.stmts
    assert isinstance(loop, While) and isinstance(loop.cond.expr, Const)
    cond = loop.body.stmts[1]
    assert isinstance(cond, If)
    c = cond.branches[0].cond
    assert [call.name for call in c.calls] == ["check_location"]
    assert isinstance(c.expr, Compare) and isinstance(c.expr.left, Name) and c.expr.left.id == "__call0__"
    assert isinstance(cond.branches[0].body.stmts[0], Break)


def test_orchestration_extensions() -> None:
    doc = doc_of(
        """\
        plan: Plan = ROLE.planner(task=task)
        while not verdict.ok max 3:
            parallel:
                a = ROLE.critic(answer=draft, aspect="facts")
                b = ROLE.critic(answer=draft, aspect="style")
            verdict: Verdict = ROLE.judge(answer=draft, critiques=[a, b])
        for step in plan.steps max 10:
            ROLE.actor(step=step)
        return draft
        """,
        header="Name: t\nDesc: d\nInputs:\n  - name: task\n    type: Task\n",
    )
    assert doc.mode == "executed" and doc.inputs[0].type == "Task"
    plan, loop, for_, ret = doc.procedure.stmts
    assert isinstance(plan, Call) and plan.targets[0].type == "Plan" and plan.args[0].name == "task"
    assert isinstance(loop, While) and loop.budget == 3
    assert isinstance(loop.cond.expr, type(loop.cond.expr)) and loop.cond.text == "not verdict.ok"
    par = loop.body.stmts[0]
    assert isinstance(par, Parallel) and len(par.body.stmts) == 2
    judge = loop.body.stmts[1]
    assert isinstance(judge, Call) and judge.targets[0].type == "Verdict"
    assert isinstance(for_, For) and for_.budget == 10 and isinstance(for_.iter.expr, Attr)
    assert isinstance(ret, Return) and ret.value is not None and ret.value.text == "draft"


def test_def_blocks_and_bare_calls() -> None:
    doc = doc_of(
        """\
        def func_2([country]):
            ANSWER.ask()
        func_2([x])
        """
    )
    d, call = doc.procedure.stmts
    assert isinstance(d, Def) and d.name == "func_2" and [p.name for p in d.params] == ["country"]
    assert isinstance(call, Call) and call.kind == "BARE"
    assert not [x for x in check(doc) if x.is_error]


def test_pdl_key_and_api_value_preconditions() -> None:
    text = textwrap.dedent(
        """\
        Name: flights
        Desc: d
        APIs:
          - name: checkAvailability
            response: [is_air]
          - name: reserveFlight
            precondition: [checkAvailability, 'checkAvailability.is_air == "true"']
        PDL: |
          [is_air] = API.checkAvailability()
          API.reserveFlight()
        """
    )
    doc = parse_pdl_text(text, "f.pdl")
    assert doc.procedure_key == "PDL" and len(list(walk(doc.procedure))) == 2
    api = doc.api("reserveFlight")
    assert api is not None and api.preconditions == ("checkAvailability",)
    (vc,) = api.value_conditions
    assert vc.api == "checkAvailability" and (vc.span.line, vc.span.col) == (7, 39)
    assert api.requires == ("checkAvailability",)
    assert check(doc) == []
