"""Exceptions raised by imphot_astropy."""

__all__ = ["UserError", "WorkerError"]


class UserError(ValueError):
    """An error caused by the caller's inputs rather than by a bug.

    The message always names the argument or file at fault and says what is
    wrong with it, so that command-line programs can print it on one line.
    It is a `ValueError`, so code written to the ecosystem's convention
    (``except ValueError``) also catches bad input.

    Examples
    --------
    >>> from imphot_astropy import UserError
    >>> try:
    ...     raise UserError("star: the radius must be > 0, not -1.0")
    ... except UserError as err:
    ...     print(err)
    star: the radius must be > 0, not -1.0
    >>> issubclass(UserError, ValueError)
    True
    """

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self):
        return self.message


class WorkerError(Exception):
    """An exception raised in a worker process, reported to the parent.

    Parameters
    ----------
    message : str
        A short description of the error (it names the file being processed).
    traceback : list of str or str
        The worker's traceback, as text lines.
    filename : str, optional
        The file that was being processed (the ``filename`` attribute).

    Examples
    --------
    >>> from imphot_astropy import WorkerError
    >>> err = WorkerError("muse1.fits: bad file", ["Traceback ...\\n"],
    ...                   filename="muse1.fits")
    >>> err.message, err.filename
    ('muse1.fits: bad file', 'muse1.fits')
    """

    def __init__(self, message, traceback, filename=None):
        super().__init__(message)
        self.message = message
        if isinstance(traceback, (list, tuple)):
            traceback = "".join(traceback)
        self.traceback = traceback
        self.filename = filename

    def __str__(self):
        return self.message + "\n" + self.traceback

    def __reduce__(self):
        return (self.__class__, (self.message, self.traceback, self.filename))
