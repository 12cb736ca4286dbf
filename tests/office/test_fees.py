"""Fees: the plans' caps, per-semester and per-day rules, hardship waivers, refunds (多退少补), statements and summary."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.core.i18n import t
from edge.core.model import Calendar, Enrolment, Leave, Service, TimeRule
from sync.office.fees import (
    Basis,
    Billing,
    Category,
    FeeRule,
    Kind,
    Waiver,
    check,
    check_rule,
    statement,
    statements,
    summary,
)
from sync.office.money import yuan
from sync.office.problems import Problem, Refused
from tests.office.money_school import CLUBS, EVENING, TERM, WEEKDAYS

# A short autumn "semester" for the arithmetic: Mon 2 Nov to Fri 27 Nov 2026, four weeks, 20 school days.
FIRST, LAST = date(2026, 11, 2), date(2026, 11, 27)
SUMMER = Service(
    "summer", "暑期托管", (TimeRule(WEEKDAYS, time(8, 30), time(17, 30), date(2026, 7, 6), date(2026, 7, 31)),),
    school_days_only=False,
)  # fmt: skip
SERVICES = {s.id: s for s in (EVENING, CLUBS, SUMMER)}
CALENDAR = Calendar(terms=(TERM,))
WANG = "王校长"


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def term_billing(**changes: object) -> Billing:
    """Evening study at 300 yuan a semester (the cap) for four children over the 20 school days."""
    base = Billing(
        FIRST, LAST,
        rules={"evening": FeeRule("evening", Basis.SEMESTER, 300_00)},
        services=SERVICES, calendar=CALENDAR,
        enrolments=(
            Enrolment("s-an", "evening", "r1", FIRST, LAST),
            Enrolment("s-bai", "evening", "r1", FIRST, LAST),
            Enrolment("s-cui", "evening", "r2", FIRST, LAST),
            Enrolment("s-du", "evening", "r2", date(2026, 11, 16), LAST),  # joins in week 3
        ),
        leave=(
            Leave("s-an", date(2026, 11, 10), date(2026, 11, 11), "evening", "病假"),
            Leave("s-cui", date(2026, 11, 17), date(2026, 11, 19), "", "事假"),
        ),
        waivers=(
            Waiver("s-bai", Category.DIBAO, WANG),  # full
            Waiver("s-cui", Category.POVERTY, WANG, percent=50),  # partial
        ),
        payments={"s-an": 300_00, "s-du": 150_00},
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_semester_fee_at_the_cap_is_taken_and_one_over_it_is_refused_naming_the_cap() -> None:
    assert check_rule(FeeRule("evening", Basis.SEMESTER, 300_00), SERVICES) == ()
    over = FeeRule("evening", Basis.SEMESTER, 300_01)
    [problem] = check_rule(over, SERVICES)
    assert problem == Problem(
        "fees.refused.cap_semester", {"service": "evening", "fee": "300.01", "cap": "300.00"}
    )
    assert "300.00" in problem.text("zh") and "300.00" in problem.text("en")
    with pytest.raises(Refused) as refused:
        statements(term_billing(rules={"evening": over}))
    assert refused.value.problems == (problem,)


def test_the_day_cap_leaves_lunch_out() -> None:
    assert check_rule(FeeRule("summer", Basis.DAY, 24_00, lunch_fen=15_00), SERVICES) == ()
    [problem] = check_rule(FeeRule("summer", Basis.DAY, 24_01), SERVICES)
    assert (problem.code, problem.params["cap"]) == ("fees.refused.cap_day", "24.00")
    assert "24.00" in problem.text("en")


def test_semester_fees_together_may_not_pass_a_student_s_cap() -> None:
    # 200 + 150 = 350 yuan a semester for a child taking both: over 300.
    rules = {
        "evening": FeeRule("evening", Basis.SEMESTER, 200_00),
        "clubs": FeeRule("clubs", Basis.SEMESTER, 150_00),
    }
    assert check(term_billing(rules=rules, waivers=())) == (
        Problem("fees.refused.cap_semester_total", {"total": "350.00", "cap": "300.00"}),
    )


@pytest.mark.parametrize(
    ("waiver", "code"),
    [
        (Waiver("s-bai", Category.DIBAO, WANG, percent=0), "fees.refused.waiver_percent"),
        (Waiver("s-bai", Category.DIBAO, WANG, percent=120), "fees.refused.waiver_percent"),
        (Waiver("s-bai", Category.DIBAO, " "), "fees.refused.waiver_approval"),
        (Waiver("s-bai", "rich", WANG), "fees.refused.waiver_category"),  # type: ignore[arg-type]
    ],
)
def test_a_waiver_needs_a_percent_an_approver_and_a_category(waiver: Waiver, code: str) -> None:
    assert [p.code for p in check(term_billing(waivers=(waiver,)))] == [code]


def test_a_negative_fee_or_an_unknown_service_is_refused() -> None:
    assert check_rule(FeeRule("evening", Basis.DAY, -1), SERVICES)[0].code == "fees.refused.negative"
    assert check_rule(FeeRule("chess", Basis.DAY, 1), SERVICES)[0].code == "fees.refused.service"


def test_the_term_s_statements_leave_a_hardship_waiver_and_a_late_start() -> None:
    found = {s.student_id: s for s in statements(term_billing())}
    an, bai, cui, du = found["s-an"], found["s-bai"], found["s-cui"], found["s-du"]
    # s-an: 300.00, 2 of 20 days on leave -> 300.00 x 2 / 20 = 30.00 back; due 270.00; paid 300.00 -> -30.00 (多退)
    assert (an.charged, an.refunded, an.waived, an.due, an.balance) == (300_00, 30_00, 0, 270_00, -30_00)
    [refund] = [x for x in an.lines if x.kind is Kind.REFUND]
    assert (refund.code, refund.days) == ("fees.line.leave", (date(2026, 11, 10), date(2026, 11, 11)))
    # s-bai: 低保 family, waived in full by 王校长: 300.00 - 300.00 = 0
    assert (bai.charged, bai.waived, bai.due, bai.balance) == (300_00, 300_00, 0, 0)
    [waiver] = [x for x in bai.lines if x.kind is Kind.WAIVER]
    assert (waiver.code, waiver.params["approved_by"], waiver.params["percent"]) == (
        "fees.line.waiver.dibao", WANG, 100,
    )  # fmt: skip
    assert WANG in t(waiver.code, "zh", **waiver.params) and "低保" in t(waiver.code, "zh", **waiver.params)
    # s-cui: 3 of 20 days on leave -> 45.00 back; (300.00 - 45.00) x 50 % = 127.50 waived; owes 127.50
    assert (cui.refunded, cui.waived, cui.due, cui.balance) == (45_00, 127_50, 127_50, 127_50)
    # s-du: joined on day 11 -> 10 of 20 days not enrolled -> 150.00 back; paid 150.00 -> settled
    assert (du.refunded, du.due, du.balance) == (150_00, 150_00, 0)
    assert [x.code for x in du.lines] == ["fees.line.semester", "fees.line.not_enrolled"]


def test_the_school_summary_is_the_sum_of_the_statements() -> None:
    total = summary(statements(term_billing()), FIRST, LAST)
    assert total.children == 4
    # charged 4 x 300.00; refunded 30.00 + 45.00 + 150.00; waived 300.00 + 127.50
    sums = total.totals
    assert (sums.charged, sums.refunded, sums.waived) == (1200_00, 225_00, 427_50)
    # due 1200.00 - 225.00 - 427.50 = 547.50 (270.00 + 0 + 127.50 + 150.00); paid 450.00; balance 97.50
    assert (sums.due, sums.paid, sums.balance) == (547_50, 450_00, 97_50)
    assert total.waived_by_category == {"dibao": (1, 300_00), "poverty": (1, 127_50)}
    assert total.by_service["evening"].due == 547_50


def test_a_child_on_leave_three_days_in_a_summer_period() -> None:
    # Summer day care, 6-31 July 2026: 20 weekdays at 24.00 a day (the cap) plus lunch at 10.00.
    billing = Billing(
        date(2026, 7, 6), date(2026, 7, 31),
        rules={"summer": FeeRule("summer", Basis.DAY, 24_00, lunch_fen=10_00)},
        services=SERVICES, calendar=CALENDAR,
        enrolments=(Enrolment("s-an", "summer", "r1", date(2026, 7, 6), date(2026, 7, 31)),),
        leave=(Leave("s-an", date(2026, 7, 14), date(2026, 7, 16), "summer", "回老家"),),
        payments={"s-an": 680_00},
    )  # fmt: skip
    s = statement(billing, "s-an")
    # fee 20 x 24.00 = 480.00; lunch 20 x 10.00 = 200.00; leave 3 x (24.00 + 10.00) = 102.00 back
    assert [(x.kind, x.code, x.fen) for x in s.lines] == [
        (Kind.CHARGE, "fees.line.day", 480_00),
        (Kind.CHARGE, "fees.line.lunch", 200_00),
        (Kind.REFUND, "fees.line.leave", 102_00),
    ]
    # due 680.00 - 102.00 = 578.00; she paid 680.00 up front, so 102.00 goes back (多退)
    assert (s.due, s.balance) == (578_00, -102_00)
    # She came on the 15th after all (attendance says present): that day is not refunded: 2 x 34.00
    came = statement(replace(billing, present=frozenset({("s-an", date(2026, 7, 15), "summer")})), "s-an")
    assert (came.refunded, came.balance) == (68_00, -68_00)


def test_a_semester_refund_rounds_half_even_and_its_lines_add_up() -> None:
    # Seven school days (Mon 2 - Tue 10 Nov); 300.00 a semester; the 4th cancelled, she is on leave on the 9th.
    billing = term_billing(
        last=date(2026, 11, 10), waivers=(), payments={},
        cancelled=frozenset({(date(2026, 11, 4), "evening")}),
        leave=(Leave("s-an", date(2026, 11, 9), date(2026, 11, 9), "evening", "病假"),),
    )  # fmt: skip
    s = statement(billing, "s-an")
    refunds = [(x.code, x.fen) for x in s.lines if x.kind is Kind.REFUND]
    # cancelled: 300.00 x 1/7 = 42.857 -> 42.86; cumulative 300.00 x 2/7 = 85.714 -> 85.71, so leave = 42.85
    assert refunds == [("fees.line.cancelled", 42_86), ("fees.line.leave", 42_85)]
    assert s.due == 214_29  # = 300.00 x 5/7 rounded: the lines never drift from the whole
    everyone = [statement(billing, c) for c in ("s-bai", "s-cui")]
    assert all(x.refunded == 42_86 for x in everyone)  # the cancelled day is everyone's


def test_a_whole_term_on_leave_refunds_the_whole_fee() -> None:
    billing = term_billing(leave=(Leave("s-an", FIRST, LAST, "", "病休"),), waivers=())
    assert statement(billing, "s-an").due == 0


def test_amounts_print_as_yuan() -> None:
    assert [yuan(x) for x in (0, 5, 30000, 12750, -10200)] == ["0.00", "0.05", "300.00", "127.50", "-102.00"]


_children = [f"s-{n}" for n in range(6)]
_term_days = days(FIRST, LAST)


@st.composite
def billings(draw: st.DrawFn) -> Billing:
    evening = draw(st.integers(0, 300_00))
    clubs = draw(st.integers(0, 24_00))
    enrolments = []
    for child in _children:
        for service in ("evening", "clubs"):
            if draw(st.booleans()):
                a, b = sorted(draw(st.lists(st.sampled_from(_term_days), min_size=2, max_size=2)))
                enrolments.append(Enrolment(child, service, "r1", a, b))
    leave = [
        Leave(child, a, min(a + timedelta(days=n), LAST), service, "x")
        for child, a, n, service in draw(
            st.lists(st.tuples(st.sampled_from(_children), st.sampled_from(_term_days), st.integers(0, 6),
                               st.sampled_from(["", "evening", "clubs"])), max_size=6)
        )
    ]  # fmt: skip
    day_service = st.tuples(st.sampled_from(_term_days), st.sampled_from(["evening", "clubs"]))
    return Billing(
        FIRST, LAST,
        rules={"evening": FeeRule("evening", Basis.SEMESTER, evening),
               "clubs": FeeRule("clubs", Basis.DAY, clubs, lunch_fen=draw(st.integers(0, 20_00)))},
        services=SERVICES, calendar=CALENDAR, enrolments=tuple(enrolments), leave=tuple(leave),
        cancelled=frozenset(draw(st.sets(day_service, max_size=4))),
        present=frozenset((c, d, s) for c, (d, s) in draw(st.sets(st.tuples(st.sampled_from(_children), day_service), max_size=6))),
        waivers=tuple(
            Waiver(c, draw(st.sampled_from(list(Category))), WANG, draw(st.integers(1, 100)))
            for c in draw(st.sets(st.sampled_from(_children), max_size=3))
        ),
        payments=draw(st.dictionaries(st.sampled_from(_children + ["s-paid-only"]), st.integers(0, 1000_00), max_size=4)),
    )  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(billings())
def test_the_summary_equals_the_sum_of_the_statements(billing: Billing) -> None:
    found = statements(billing)
    total = summary(found, billing.first, billing.last)
    for field in ("charged", "refunded", "waived", "due"):
        assert getattr(total.totals, field) == sum(getattr(s, field) for s in found)
        assert getattr(total.totals, field) == sum(getattr(x, field) for x in total.by_service.values())
    assert total.totals.balance == sum(s.balance for s in found)
    assert total.totals.paid == sum(s.paid_fen for s in found) == sum(billing.payments.values())
    assert total.children == len(found)
    assert sum(fen for _, fen in total.waived_by_category.values()) == total.totals.waived
    for s in found:
        for service in ("evening", "clubs"):
            lines = [x for x in s.lines if x.service_id == service]
            charged = sum(x.fen for x in lines if x.kind is Kind.CHARGE)
            refunded = sum(x.fen for x in lines if x.kind is Kind.REFUND)
            waived = sum(x.fen for x in lines if x.kind is Kind.WAIVER)
            assert 0 <= refunded <= charged
            assert 0 <= waived <= charged - refunded
        assert all(x.fen >= 0 for x in s.lines)
        assert s.due >= 0
