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
    "outcome.called": ("已致电家长", "guardian called"),
    "outcome.card_assigned": ("已绑定卡", "card assigned"),
    "outcome.corrected": ("已更正", "corrected"),
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
    "reason.before_start": ("服务开始前离校", "left before the session began"),
    "reason.headcount_not_due": ("点名时间未到,稍后刷卡签零报告", "head count not due yet; tap again to sign after it"),
    "reason.earlier_report_unsigned": (
        "上一场的零报告未签,请在控制台按场次签",
        "the earlier session's report is unsigned: sign it by name at the console",
    ),
    "reason.picked_up": ("撤销放行", "release taken back"),
    "reason.found": ("撤销“已找到”", "found taken back"),
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
    "reason.note": ("{note}", "{note}"),
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
    "report.handed_over": ("转入下一项服务", "handed over"),
    "report.back_to_lessons": ("返回上课", "back to lessons"),
    "report.left_before_start": ("开始前已离校", "left before it began"),
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
    "demo.and": ("、", ", "),
    "demo.tokens": (
        "API 令牌(只显示这一次;设备只保存其 SHA-256):",
        "API tokens (shown this once; the device keeps only their SHA-256):",
    ),
    "demo.listening": (
        "API 地址 http://{address}(Ctrl-C 停止),例如:",
        "API at http://{address} (Ctrl-C stops it), for example:",
    ),
    # the guard console (tui/)
    "tui.title": ("点名", "Rollcall"),
    "tui.screen.live": ("门口", "Gate"),
    "tui.screen.rooms": ("教室", "Rooms"),
    "tui.screen.alerts": ("缺勤", "Missing"),
    "tui.screen.pickup": ("接送", "Pickup"),
    "tui.screen.report": ("零报告", "Reports"),
    "tui.screen.devices": ("设备", "Devices"),
    "tui.online": ("● 在线", "● online"),
    "tui.connecting": ("正在连接设备…", "connecting to the device…"),
    "tui.offline": ("✗ 离线:自 {since} 起连不上设备,正在重试", "✗ OFFLINE since {since}: cannot reach the device, retrying"),
    "tui.offline.token": (
        "✗ 离线:自 {since} 起设备不认此令牌,请联系管理员",
        "✗ OFFLINE since {since}: the device refused this console's token; call the office",
    ),
    "tui.device_time": ("设备时间 {time}", "device time {time}"),
    "tui.live.waiting": ("等待刷卡…", "Waiting for the first tap…"),
    "tui.live.no_session": ("现在没有课后服务", "No after-school session now"),
    "tui.live.assign_hint": ("按 A 把这张卡绑定给学生", "Press A to give this card to a student"),
    "tui.key.assign": ("绑卡", "assign card"),
    "tui.key.found": ("已找到", "found"),
    "tui.key.excuse": ("准假", "excuse"),
    "tui.key.call": ("已致电", "called"),
    "tui.key.sign": ("签字", "sign"),
    "tui.key.export": ("导出本室", "export room"),
    "tui.key.export_all": ("导出全部", "export all"),
    "tui.key.search": ("重新搜索", "search again"),
    "tui.key.confirm": ("确认", "confirm"),
    "tui.key.cancel": ("取消", "cancel"),
    "tui.col.room": ("教室", "room"),
    "tui.col.service": ("服务", "service"),
    "tui.col.enrolled": ("应到", "enrolled"),
    "tui.col.present": ("实到", "present"),
    "tui.col.late": ("迟到", "late"),
    "tui.col.on_leave": ("请假", "leave"),
    "tui.col.missing": ("缺勤", "missing"),
    "tui.col.not_yet_arrived": ("未到", "not yet in"),
    "tui.col.picked_up": ("已接走", "picked up"),
    "tui.col.still_waiting": ("等待中", "waiting"),
    "tui.col.report": ("零报告", "report"),
    "tui.col.status": ("情况", "status"),
    "tui.col.alert": ("情况", "what"),
    "tui.col.note": ("备注", "note"),
    "tui.col.guardians": ("家长", "guardians"),
    "tui.col.guardian_name": ("家长", "guardian"),
    "tui.col.relation": ("关系", "relation"),
    "tui.col.may_pick_up": ("接送权限", "may pick up"),
    "tui.col.reader": ("读卡器", "reader"),
    "tui.col.role": ("位置", "where"),
    "tui.col.state": ("状态", "state"),
    "tui.alerts.none": ("✓ 没有缺勤,没有警报", "✓ Nobody missing, no alerts"),
    "tui.alerts.call": ("请致电 {guardian} {phone}", "Call {guardian} {phone}"),
    "tui.alerts.seen": ("最后出现:{place}", "last seen: {place}"),
    "tui.alerts.note": ("备注:{note}", "note: {note}"),
    "tui.note.excuse_title": ("给 {name} 准假", "Excuse {name}"),
    "tui.note.excuse": ("原因(可不填),回车确认,Esc 取消", "Why (may be left empty); Enter to confirm, Esc to cancel"),
    "tui.note.call_title": ("已致电 {guardian} {phone}(关于 {name})", "Called {guardian} {phone} (about {name})"),
    "tui.note.call": ("家长怎么说?回车保存,Esc 取消", "What did they say? Enter to save, Esc to cancel"),
    "tui.search.prompt": ("姓名、拼音、首字母(如 zs)、班级或卡号", "name, pinyin, initials (zs), class or card"),
    "tui.pickup.hint": (
        "输入后回车,↑↓ 选学生,回车看家长,再回车放行",
        "Type, Enter; ↑↓ to choose the child, Enter for the guardians, Enter to release",
    ),
    "tui.pickup.guardians": ("{name}({klass})的家长", "{name} ({klass}): guardians"),
    "tui.pickup.allowed": ("✓ 可以接送", "✓ may pick up"),
    "tui.pickup.not_allowed": ("✗ 无接送权限", "✗ NOT authorised"),
    "tui.pickup.release_hint": (
        "回车:把 {child} 交给 {guardian}({relation})",
        "Enter: release {child} to {guardian} ({relation})",
    ),
    "tui.pickup.confirm": ("把 {child} 交给 {guardian}({relation})?", "Release {child} to {guardian} ({relation})?"),
    "tui.pickup.confirm_keys": ("回车 = 确认放行    Esc = 取消", "Enter = release    Esc = cancel"),
    "tui.pickup.refuse_title": (
        "✗ {guardian}({relation})无权接走 {child}",
        "✗ {guardian} ({relation}) may NOT take {child}",
    ),
    "tui.pickup.refuse_body": (
        "不要放行。请联系班主任或其他家长核实。",
        "Do not release the child. Check with the class teacher or another guardian.",
    ),
    "tui.pickup.refuse_keys": ("回车 = 记录此次拒绝(不放行)    Esc = 返回", "Enter = record the refusal (no release)    Esc = back"),
    "tui.assign.title": ("把卡 {uid} 绑定给哪位学生?", "Give card {uid} to which student?"),
    "tui.assign.keys": ("输入姓名或拼音,↑↓ 选择,回车绑定,Esc 取消", "Type a name or pinyin, ↑↓ to choose, Enter to assign, Esc to cancel"),
    "tui.report.signed_short": ("已签", "signed"),
    "tui.report.sign_title": ("签署零报告:{room} {service}", "Sign the zero report: {room} {service}"),
    "tui.report.sign_prompt": (
        "在任意读卡器上刷教师卡,或输入教师工号后回车;Esc 取消",
        "Tap a staff card on any reader, or type the staff id and press Enter; Esc cancels",
    ),
    "tui.report.exported": ("已导出:{path}", "Exported: {path}"),
    "tui.devices.waiting": ("正在读取设备状态…", "Reading the device's state…"),
    "tui.devices.device": ("设备 {device} · 版本 {version}", "Device {device} · version {version}"),
    "tui.devices.clock_ok": ("✓ 时钟已同步", "✓ clock synchronised"),
    "tui.devices.clock_bad": (
        "✗ 时钟未同步:记录照常,服务器会校正时间",
        "✗ clock not synchronised: events are still kept, the server corrects their times",
    ),
    "tui.devices.simulated": ("(模拟时钟)", "(simulated clock)"),
    "tui.devices.sync": ("! 学校服务器尚未取走 {count} 条记录", "! {count} events not yet pulled by the school server"),
    "tui.devices.synced": ("✓ 学校服务器已取走全部记录", "✓ the school server has every event"),
    "tui.devices.disk": ("磁盘剩余 {free} / 共 {total}({percent}%)", "disk: {free} free of {total} ({percent}%)"),
    "tui.devices.disk_low": ("空间不足,请联系办公室", "running out: call the office"),
    "tui.devices.consoles": ("连接中的控制台:{count} 个", "consoles connected: {count}"),
    "tui.reader.up": ("✓ 正常", "✓ up"),
    "tui.reader.down": ("✗ 断开", "✗ DOWN"),
    "tui.reader.unknown": ("? 未知", "? unknown"),
    "tui.role.gate-in": ("校门(进)", "gate (in)"),
    "tui.role.gate-out": ("校门(出)", "gate (out)"),
    "tui.role.gate": ("校门", "gate"),
    "tui.role.room": ("教室", "room"),
    "tui.error.unreachable": ("连不上设备,请稍后再试", "Cannot reach the device; try again shortly"),
    "tui.error.bug": ("控制台出错,正在恢复(请告诉管理员)", "Console error, recovering (tell the office)"),
    "tui.failed.check_in": ("签到失败", "Check-in failed"),
    "tui.failed.found": ("未能记录", "Not recorded"),
    "tui.failed.excuse": ("准假失败", "Excuse failed"),
    "tui.failed.call": ("未能记录", "Not recorded"),
    "tui.failed.release": ("放行失败", "Release failed"),
    "tui.failed.assign_card": ("绑卡失败", "Card not assigned"),
    "tui.failed.sign": ("签字失败", "Not signed"),
    "tui.failed.search": ("搜索失败", "Search failed"),
    "tui.failed.report": ("读取报告失败", "Report not read"),
    "tui.failed.export": ("导出失败", "Export failed"),
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
