"""Dataclass settings that go into model files as plain dicts (JSON-safe, checkpoint-safe)."""

from dataclasses import asdict


class SettingsRecord:
    """Mixin for a dataclass: ``to_dict`` for the checkpoint, ``from_dict`` refusing unknown keys (a
    file from a newer or different model must not be half-read). Tuples are stored as lists."""

    record_name = "settings"

    def to_dict(self):
        return {key: list(value) if isinstance(value, tuple) else value for key, value in asdict(self).items()}

    @classmethod
    def from_dict(cls, values):
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown {cls.record_name}: {', '.join(sorted(unknown))}")
        return cls(**{key: tuple(value) if isinstance(value, list) else value for key, value in values.items()})
