"""What each role may do with cases. Region is separate: every action also needs the case in scope.

case.open      register a case on someone's behalf (staff, API clients such as a hotline system)
case.accept    受理 a submitted case
case.handle    start, add notes/photos, return, resolve the cases of one's own unit or assigned to oneself
case.dispatch  派单/改派 any case in one's region, and act on it as a handler would
case.close     close a resolved case after a follow-up call (回访) on the reporter's behalf
case.supervise the escalated view, escalate by hand, reopen on a reporter's behalf
case.configure categories, deadlines, routing table, working calendar
case.stats     statistics
"""

from shuxiang.core.choices import Role
from shuxiang.core.permissions import grant

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
grant(Role.CLIENT, "case.open")
