from shuxiang.core.models.attachments import Attachment
from shuxiang.core.models.audit import AuditEntry
from shuxiang.core.models.grants import Grant
from shuxiang.core.models.notifications import Notification
from shuxiang.core.models.operations import Heartbeat, TaskRun
from shuxiang.core.models.people import Person
from shuxiang.core.models.places import Place
from shuxiang.core.models.tokens import ApiToken, IdempotencyRecord
from shuxiang.core.models.two_factor import RecoveryCode, TwoFactorDevice
from shuxiang.core.models.units import Unit
from shuxiang.core.models.users import User

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditEntry",
    "Grant",
    "Heartbeat",
    "IdempotencyRecord",
    "Notification",
    "Person",
    "Place",
    "RecoveryCode",
    "TaskRun",
    "TwoFactorDevice",
    "Unit",
    "User",
]
