"""Text rendered later, in someone else's language.

A service that notifies another person builds ``Message(gettext_lazy("… %(x)s …"), x=value)``; the text is
made (``str(message)``) inside ``translation.override(recipient's language)``, so the recipient reads it in
their language whatever language the acting user has. Lazy parameters (choice labels) are translated too.
"""
from django.utils.functional import Promise


class Message:
    def __init__(self, template, **params):
        self.template = template
        self.params = params

    def __str__(self):
        if not self.params:
            return str(self.template)
        return str(self.template) % {k: str(v) if isinstance(v, (Promise, Message)) else v
                                     for k, v in self.params.items()}

    def __mod__(self, params):
        return Message(self.template, **{**self.params, **params})

    def __repr__(self):
        return f"Message({self.template!r}, {self.params!r})"


def lazy_message(template):
    """``lazy_message(gettext_lazy("… %(n)s"))`` → a Message that ``%`` fills in later."""
    return Message(template)
