"""The text a reader sees on a page, for tests that check what a page says (not its markup)."""

from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class VisibleText(HTMLParser):
    """Text nodes outside script/style, plus placeholders and button values.

    With `skip_codes`, text inside `<code>` or an element of class `mono` is left out: they mark
    identifiers and commands shown as they are (device codes, SL 651 element codes, `shuxiang …`).
    """

    HIDDEN = {"script", "style", "template", "noscript"}

    def __init__(self, skip_codes=False):
        super().__init__()
        self.skip_codes = skip_codes
        self.parts, self.stack = [], []  # stack of (tag, hides its text)

    def hidden(self):
        return any(h for _, h in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if not self.hidden():
            if attrs.get("placeholder"):
                self.parts.append(attrs["placeholder"])
            if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
                self.parts.append(attrs["value"])
        if tag in VOID:
            return
        code = self.skip_codes and (tag == "code" or "mono" in (attrs.get("class") or "").split())
        self.stack.append((tag, tag in self.HIDDEN or code))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        if not self.hidden():
            self.parts.append(data)


def visible_text(html: str, skip_codes: bool = False) -> str:
    parser = VisibleText(skip_codes)
    parser.feed(html)
    return " ".join(parser.parts)
