"""Errors the user can fix (bad exemplar, bad folder, bad model file, bad size); jobs report them as
bad input, everything else is a bug."""


class GanInputError(ValueError):
    pass


class CheckpointError(GanInputError):
    """A model file that cannot be read, is of the wrong kind, or could not be written."""
