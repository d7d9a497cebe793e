class DomainError(Exception):
    """A business rule was broken. The message is French, shown to users as is."""


class IllegalTransition(DomainError):
    pass


class InvalidReference(DomainError):
    pass


class ValidationError(DomainError):
    """Field-level errors: {field_name: french message}."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))
