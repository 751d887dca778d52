from django.db import models

from shuxiang.core.pii import EncryptedTextField, mask_id_number, mask_phone
from shuxiang.core.scope import ScopedQuerySet, scoped


@scoped("place")
class Person(models.Model):
    """A resident known to the platform (household member, contact, grid worker…).

    ID and phone numbers are ciphertext at rest with keyed digests beside them
    for exact lookup; code outside core.people never reads the plaintext
    except through a reveal, which is audited.
    """

    name = models.CharField("姓名", max_length=50)
    id_number = EncryptedTextField("身份证号", blank=True)
    id_number_digest = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    phone = EncryptedTextField("电话", blank=True)
    phone_digest = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    gender = models.CharField("性别", max_length=8, blank=True, choices=[("male", "男"), ("female", "女")])
    birth_date = models.DateField("出生日期", null=True, blank=True)
    place = models.ForeignKey(
        "core.Place", verbose_name="居住地", on_delete=models.PROTECT, related_name="people"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "人员"
        verbose_name_plural = "人员"
        # Lists are "people of this subtree whose name contains …": the (place, name) index serves the
        # filter, the count and the order; ordering by the place's code instead forces a join and a sort.
        ordering = ["place_id", "name", "id"]
        indexes = [models.Index(fields=["place", "name"], name="person_place_name_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_digest"],
                condition=~models.Q(id_number_digest=""),
                name="person_id_number_unique",
                violation_error_message="该身份证号已登记",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def id_number_masked(self):
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self):
        return mask_phone(self.phone)
