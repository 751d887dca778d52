"""What each role, machine and anonymous channel may do with cases. Region is separate: every action
by a person also needs the case in their region (core.permissions.require checks both).

case.open      register a case (staff; API clients such as a hotline system; residents on the report page)
case.accept    受理 a submitted case
case.handle    start, add notes/photos, return, resolve the cases of one's own unit or assigned to oneself;
               also what makes a user a possible assignee when a case is dispatched
case.dispatch  派单/改派 any case in one's region, and act on it as a handler would
case.close     close a resolved case after a follow-up call (回访) on the reporter's behalf
case.supervise the escalated view, escalate by hand, reopen on a reporter's behalf
case.respond   the reporter's own steps (add information, confirm, reopen, rate) — with their key
case.configure categories, deadlines, routing table, working calendar
case.stats     statistics

Which step needs which of these is one table: cases.choices.TRANSITIONS.
"""

from shuxiang.core.choices import STAFF_ROLES, Role
from shuxiang.core.permissions import (
    anonymous_grant,
    default_grant,
    define,
    grant,
    system_grant,
)

ALL = (
    "case.open",
    "case.accept",
    "case.handle",
    "case.dispatch",
    "case.close",
    "case.supervise",
    "case.configure",
    "case.stats",
)

# Short names used across the app for the object actions they stand for.
define("case.open", "cases.case", "add")
define("case.accept", "cases.case", "accept", "受理")
define("case.handle", "cases.case", "handle", "办理")
define("case.dispatch", "cases.case", "dispatch", "派单")
define("case.close", "cases.case", "close", "关闭")
define("case.supervise", "cases.case", "supervise", "督办")
define("case.respond", "cases.case", "respond", "反映人补充、确认、评价")
define("case.configure", "cases.casecategory", "change")
define("case.stats", "cases.case", "stats", "统计")

grant(Role.ADMIN, *ALL)
grant(Role.DISTRICT, *ALL)
grant(Role.DEPARTMENT, "case.open", "case.accept", "case.handle", "case.stats")
grant(
    Role.TOWNSHIP,
    "case.open",
    "case.accept",
    "case.handle",
    "case.dispatch",
    "case.close",
    "case.supervise",
    "case.stats",
)
grant(Role.VILLAGE, "case.open", "case.accept", "case.handle")
grant(Role.GRID, "case.open", "case.accept", "case.handle")
# A hotline system files cases through the API; it reads nothing back but the categories it files under.
grant(Role.CLIENT, "case.open")
# Categories are district-wide reference data (not region-scoped, so not in the staff view rule).
default_grant((*STAFF_ROLES, Role.CLIENT), "cases.casecategory", ["view"])

# The platform's own callers (core.actors.SYSTEM_LABELS): each only what it does.
system_grant("escalation", "case.supervise")  # overdue flags and escalation, every five minutes
system_grant("tasks", "case.close")  # resolved cases the reporter left unanswered close themselves
system_grant("monitoring", "case.open", "case.accept", "case.handle", "case.dispatch", "case.close")
for label in ("plan", "water", "iot", "rules", "trace", "open311"):
    system_grant(label, "case.open")  # other apps open cases of their own types

# Residents without an account: the report page opens cases; the reporter (with the key given at
# submission) adds information, confirms, reopens and rates; a consumer files a 12315 complaint.
anonymous_grant("public", "case.open")
anonymous_grant("consumer", "case.open")
anonymous_grant("reporter", "case.respond")
