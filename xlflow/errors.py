"""Exceptions for the cases where xlflow cannot go on.

Problems *inside* a returned workbook are never exceptions: they are findings
(``xlflow.findings``). Exceptions are for a broken form definition, a bad roster, a bad
command line: things the person running xlflow must fix before anything useful can happen.
The CLI turns every ``XlflowError`` into one clear Chinese line, never a traceback.
"""


class XlflowError(Exception):
    """Base class: the message is shown to the user as is."""


class FormDefinitionError(XlflowError):
    """A form definition file is missing, malformed, or inconsistent."""


class RosterError(XlflowError):
    """The agency roster (单位名单) cannot be used; the message names file and line."""


class UsageError(XlflowError):
    """A command-line argument is wrong (exit code 2)."""
