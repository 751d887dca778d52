from django.conf import settings
from django.db import models

from shuxiang.core.scope import ScopedQuerySet, scoped


def attachment_path(instance, filename):
    return f"attachments/{instance.sha256[:2]}/{instance.sha256}{instance.extension}"


@scoped("place")
class Attachment(models.Model):
    """A file (photo, report, evidence) belonging to some object, stored once by content hash.

    Photos are re-encoded on upload (core.files) so EXIF location never reaches storage.
    """

    owner_type = models.CharField(max_length=60, db_index=True)
    owner_id = models.CharField(max_length=64, db_index=True)
    place = models.ForeignKey("core.Place", on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to=attachment_path)
    original_name = models.CharField("文件名", max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    extension = models.CharField(max_length=10)
    is_public = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "附件"
        verbose_name_plural = "附件"
        ordering = ["uploaded_at"]

    def __str__(self):
        return self.original_name
