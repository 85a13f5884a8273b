"""The exceptions llmroof raises: one class per kind of error of the core."""


class Error(Exception):
    """Base of every llmroof error."""


class UsageError(Error, ValueError):
    """A request asked for something that does not exist or makes no sense."""


class RequestError(UsageError):
    """A request argument is at fault.

    ``field`` is the keyword argument (``"device"``, ``"split_ratio"``), ``suggestions`` the
    closest valid values, best first (empty when there are none).
    """

    def __init__(self, message, field, suggestions=()):
        super().__init__(message)
        self.field = field
        self.suggestions = list(suggestions)


class DataError(Error):
    """A data file (a device file, a calibration profile) failed validation.

    ``messages`` holds one "file:line: /pointer: problem" line per problem.
    """

    def __init__(self, message, messages=()):
        super().__init__(message)
        self.messages = list(messages)


class ModelFileError(Error):
    """A config.json or GGUF file is malformed or lacks a field the estimate needs.

    ``offset`` is the byte offset of the problem in a GGUF file, else None.
    """

    def __init__(self, message, offset=None):
        super().__init__(message)
        self.offset = offset


class LlmroofWarning(UserWarning):
    """A warning of an estimate (the CLI prints them to stderr), such as a model that does not
    fit in the device's memory."""
