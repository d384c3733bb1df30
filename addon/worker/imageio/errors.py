class ImageFileError(ValueError):
    """A file cannot be read or written as an image; the one-line message names the file."""
