"""The exceptions mlpulse raises on purpose.

Every message says what was expected, what came instead, and what to do next.
"""


class MlpulseError(Exception):
    """Base class of every error mlpulse raises on purpose.

    Attributes:
        exit_code: what the ``mlpulse`` command exits with: 2 for input or settings
            the user can correct, 1 for a failure of something else.
    """

    exit_code = 2


class ConfigurationError(MlpulseError, ValueError):
    """A setting or an argument has a value mlpulse cannot use."""


class DataFileError(MlpulseError, ValueError):
    """A data file is missing, damaged or not of the expected shape.

    Attributes:
        path: the file that was read.
        problem: what is wrong with it, in one sentence.
    """

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class DownloadError(DataFileError):
    """A data file could not be fetched, or what came does not match its checksum."""

    exit_code = 1


class UnknownModelError(MlpulseError, LookupError):
    """No registered model version matches the name (and version) asked for."""
