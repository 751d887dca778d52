class ServiceError(Exception):
    """A refused write: `code` for machines, `message` in Chinese for people, `fields` per input field.

    Raised inside a transaction, so nothing the service started is kept. The API
    turns it into a 400 JSON error, HTML views into a form error.
    """

    status = 400

    def __init__(self, code: str, message: str, fields: dict | None = None, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}
        if status is not None:
            self.status = status

    def as_dict(self):
        return {"code": self.code, "message": self.message, "fields": self.fields}


class NotFound(ServiceError):
    status = 404

    def __init__(self, message="对象不存在或不在您的管辖范围内"):
        super().__init__("not_found", message)


class Forbidden(ServiceError):
    status = 403

    def __init__(self, message="您没有执行此操作的权限"):
        super().__init__("forbidden", message)
