"""The one exception the engine raises for bad input."""


class InputError(ValueError):
    """Bad input from a learner or a caller, with a message saying what to change.

    Subclasses ``ValueError`` so generic callers can still catch it; the app shows
    ``str(err)`` on screen as it is.
    """
