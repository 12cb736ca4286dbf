"""Provides the one catalogue of user-facing text, Chinese (zh-CN) by default and English on request."""

from __future__ import annotations

import os
from collections.abc import Mapping

LANGUAGES = ("zh", "en")

# key -> (zh, en). Parameters use str.format names: {name}, {minutes}, ...
CATALOGUE: Mapping[str, tuple[str, str]] = {
    # outcomes
    "outcome.checked_in": ("已签到", "checked in"),
    "outcome.late": ("迟到", "late"),
    "outcome.already_in": ("已签到过", "already in"),
    "outcome.on_campus": ("到校", "on campus"),
    "outcome.wrong_room": ("走错教室", "wrong room"),
    "outcome.wrong_reader": ("请在校门刷卡", "use the gate reader"),
    "outcome.not_enrolled_today": ("今日未报名", "not enrolled today"),
    "outcome.on_leave": ("请假却到校", "on leave but came"),
    "outcome.unknown_card": ("未登记的卡", "unknown card"),
    "outcome.lost_card": ("挂失卡", "lost card"),
    "outcome.random_uid": ("随机卡号(手机/CPU卡)", "random UID (phone or CPU card)"),
    "outcome.unknown_reader": ("未配置的读卡器", "reader not configured"),
    "outcome.picked_up": ("家长接走", "picked up"),
    "outcome.no_child_waiting": ("无待接学生", "no child waiting"),
    "outcome.unauthorised_pickup": ("无接送权限", "not authorised to pick up"),
    "outcome.walked_home": ("自行离校", "walked home"),
    "outcome.must_be_picked_up": ("须家长接送", "must be picked up"),
    "outcome.left_early": ("提前离校", "left early"),
    "outcome.left_campus": ("离校", "left campus"),
    "outcome.staff_on_duty": ("教师到岗", "staff on duty"),
    "outcome.report_signed": ("零报告已签", "report signed"),
    "outcome.excused": ("已准假", "excused"),
    "outcome.found": ("已找到", "found"),
    "outcome.card_assigned": ("已绑定卡", "card assigned"),
    "outcome.alert": ("警报", "alert"),
    "outcome.reader_down": ("读卡器故障", "reader down"),
    "outcome.reader_up": ("读卡器恢复", "reader back"),
    # reasons
    "reason.late": ("迟到 {minutes} 分钟", "{minutes} min late"),
    "reason.expected_in_room": ("应去 {room}", "expected in {room}"),
    "reason.came_despite_leave": ("已请假,仍记为到场", "recorded present despite leave"),
    "reason.card_reported_lost": ("此卡已挂失,请到门卫室", "this card was reported lost; see the guard"),
    "reason.card_not_registered": ("请到门卫室登记", "please register at the guard room"),
    "reason.random_uid": (
        "此卡号每次不同,不能用于签到",
        "this UID changes on every tap; it cannot identify anyone",
    ),
    "reason.no_session_now": ("此时没有报名的服务", "no enrolled session now"),
    "reason.without_leave": ("未请假", "without leave"),
    "reason.with_leave": ("已请假", "with leave"),
    "reason.no_walk_home_consent": (
        "无自行离校许可,请等待家长",
        "no consent to walk home; wait for a guardian",
    ),
    "reason.consent_on_file": ("有自行离校许可", "consent on file"),
    "reason.not_authorised": ("此人无接送权限,请核实", "not on the authorised list; check with the office"),
    "reason.early_pickup": ("提前接走", "early pickup"),
    "reason.released_by_guard": ("门卫放行", "released by a guard"),
    "reason.no_child_on_campus": ("孩子不在校内", "no child on campus"),
    "reason.already_checked_in": ("不重复签到", "not checked in twice"),
    "reason.already_on_campus": ("已在校内", "already on campus"),
    "reason.guardian_card_at_room": ("接送卡请在校门刷", "pickup cards are for the gate"),
    "reason.holder_not_in_roster": (
        "持卡人不在名单中,请联系办公室",
        "the card's holder is not in the roster; call the office",
    ),
    "reason.ambiguous_rendering": ("此读卡器的号码对应多张卡,请改用完整卡号格式", "this reader's number matches several cards; set it to print the whole UID"),
    "reason.reader_down": ("读卡器断开", "reader disconnected"),
    "reason.reader_up": ("读卡器已连接", "reader connected"),
    "reason.reader_not_configured": ("此读卡器不在配置中", "this reader is not in the configuration"),
    # alerts
    "alert.not_in_room": ("已进校门未到教室", "on campus but not in room"),
    "alert.missing": ("缺勤未请假", "missing"),
    "alert.reader_down": ("读卡器故障", "reader down"),
    "alert.left_without_leave": ("未请假离校", "left without leave"),
    "alert.not_picked_up": ("超时未接", "not picked up"),
    "alert.report_unsigned": ("零报告未签", "report unsigned"),
    # report
    "report.title": ("零报告", "Zero report"),
    "report.enrolled": ("应到", "enrolled"),
    "report.present": ("实到", "present"),
    "report.late": ("迟到", "late"),
    "report.on_leave": ("请假", "on leave"),
    "report.missing": ("缺勤", "missing"),
    "report.not_yet_arrived": ("未到(点名前)", "not yet arrived"),
    "report.left_early": ("提前离校", "left early"),
    "report.picked_up": ("家长接走", "picked up"),
    "report.walked_home": ("自行离校", "walked home"),
    "report.still_waiting": ("仍在等待", "still waiting"),
    "report.clean": ("无异常", "clean"),
    "report.not_clean": ("有异常", "needs attention"),
    "report.signed": ("已签: {by} {at}", "signed by {by} at {at}"),
    "report.unsigned": ("未签", "unsigned"),
    "report.school": ("全校汇总", "School-wide"),
    "report.none": ("{date} 没有课后服务", "no after-school sessions on {date}"),
    "report.day_closed": (
        "今日已闭环:所有报告已签,所有学生已离校",
        "day closed: every report signed, every child gone",
    ),
    "report.day_open": ("今日未闭环", "day still open"),
    # columns
    "col.name": ("姓名", "name"),
    "col.class": ("班级", "class"),
    "col.guardian": ("家长", "guardian"),
    "col.phone": ("电话", "phone"),
    "col.place": ("最后位置", "last seen"),
    # demo
    "demo.start": (
        "演示:{school} {date} {service},共 {count} 名学生报名",
        "Demo: {school} {date} {service}, {count} enrolled",
    ),
    "demo.done": ("演示结束。数据库:{path}", "Demo over. Database: {path}"),
    "demo.school": ("示例学校", "Sample school"),
    "demo.tokens": (
        "API 令牌(只显示这一次;设备只保存其 SHA-256):",
        "API tokens (shown this once; the device keeps only their SHA-256):",
    ),
    "demo.listening": (
        "API 地址 http://{address}(Ctrl-C 停止),例如:",
        "API at http://{address} (Ctrl-C stops it), for example:",
    ),
    # errors
    "error.prefix": ("错误", "error"),
}


def language(requested: str | None = None) -> str:
    """`--lang` wins; otherwise LANG/LC_ALL starting with "en" picks English; Chinese by default."""
    if requested:
        return "en" if requested.lower().startswith("en") else "zh"
    for variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "")
        if value:
            return "en" if value.lower().startswith("en") else "zh"
    return "zh"


def t(key: str, lang: str = "zh", **params: object) -> str:
    """The text for `key` in `lang`; an unknown key shows itself rather than vanishing."""
    texts = CATALOGUE.get(key)
    if texts is None:
        return key
    text = texts[1] if lang == "en" else texts[0]
    try:
        return text.format(**params)
    except (KeyError, IndexError):  # a parameter the event did not carry: show the words, not a crash
        return text
