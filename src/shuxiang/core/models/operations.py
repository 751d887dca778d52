from django.db import models

from shuxiang.core.scope import declare_unscoped


class Heartbeat(models.Model):
    """The last sign of life of a long-running part (the task worker, each telemetry listener) on a node.

    In the database, not in a process or the cache, so /healthz on any web node and `shuxiang check
    --deploy` see every node's parts. One row per (component, node), overwritten in place.
    """

    component = models.CharField("组件", max_length=40)
    node = models.CharField("节点", max_length=100)
    seen_at = models.DateTimeField("最后心跳")
    info = models.JSONField("附加信息", default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "组件心跳"
        constraints = [models.UniqueConstraint(fields=["component", "node"], name="heartbeat_component_node")]

    def __str__(self):
        return f"{self.component}@{self.node}"


class TaskRun(models.Model):
    """A periodic task's claim on one scheduled slot: with several task workers (one per node) every
    periodic task is enqueued by each of them; the first to insert (task, slot) runs it, the rest skip."""

    task = models.CharField(max_length=100)
    slot = models.DateTimeField()
    node = models.CharField(max_length=100)
    started_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "slot"], name="taskrun_task_slot")]

    def __str__(self):
        return f"{self.task}@{self.slot:%Y-%m-%d %H:%M} ({self.node})"


declare_unscoped(
    Heartbeat, "运维数据：各节点组件的心跳，只经 /healthz、/metrics 和 check --deploy 读出，不含业务数据"
)
declare_unscoped(TaskRun, "运维数据：定时任务在各节点间去重的认领记录，只由任务进程写入")
