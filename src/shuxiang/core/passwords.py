import re

from django.core.exceptions import ValidationError


class CharacterClassValidator:
    """At least N of: lower case, upper case, digits, symbols (等保 level-3 practice)."""

    def __init__(self, min_classes=3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        classes = sum(bool(re.search(p, password)) for p in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]"))
        if classes < self.min_classes:
            raise ValidationError(
                f"密码需包含小写字母、大写字母、数字、符号中的至少{self.min_classes}类",
                code="password_classes",
            )

    def get_help_text(self):
        return f"至少8位，包含小写字母、大写字母、数字、符号中的至少{self.min_classes}类"
