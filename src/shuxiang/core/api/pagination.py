from rest_framework import pagination
from rest_framework.exceptions import NotFound, ValidationError


class PageNumberPagination(pagination.PageNumberPagination):
    """`?page=N&page_size=M`, as the schema says: whole numbers, one of each, M at most 1000.

    DRF would quietly fall back to the default for `page_size=abc` or cut 5000 down to the maximum;
    here such a request is a 400 naming the field, and a page that does not exist is a 404.
    An empty value means the default.
    """

    page_size_query_param = "page_size"
    max_page_size = 1000
    last_page_strings = ()

    def _single(self, request, name):
        values = request.query_params.getlist(name)
        if len(values) > 1:
            raise ValidationError({name: ["只能指定一个值"]})
        return values[0] if values else ""

    def get_page_size(self, request):
        raw = self._single(request, self.page_size_query_param)
        if raw == "":
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [f"请填写 1 到 {self.max_page_size} 之间的整数"]}
            )
        return int(raw)

    def get_page_number(self, request, paginator):
        raw = self._single(request, self.page_query_param)
        if raw == "":
            return 1
        if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
            raise NotFound(self.invalid_page_message.format(page_number=raw[:20], message="页码应为正整数"))
        return raw

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["allowEmptyValue"] = True
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters
