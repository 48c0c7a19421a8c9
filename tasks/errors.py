"""The exceptions mlpulse raises on purpose.

Every message says what was expected, what came instead, and what to do next.
"""


class MlpulseError(Exception):
    """Base class of every error mlpulse raises on purpose."""


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


class UnknownModelError(MlpulseError, LookupError):
    """No registered model version matches the name (and version) asked for."""


class MetricsPushError(MlpulseError, RuntimeError):
    """Metrics could not be delivered to the Pushgateway after every retry."""
