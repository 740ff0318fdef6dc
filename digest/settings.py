"""The ``[digest]`` section of reewatch.toml: composition, channels and breaking alerts."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from digest.channels import check_format, check_schedule


class ChannelSettings(BaseModel):
    """One digest channel (``[[digest.channels]]``): where, when, and which stories."""

    model_config = ConfigDict(extra="forbid")

    name: str
    url: str  # an Apprise URL (mailto://, slack://, json://, …), "file", or file:///a/directory
    schedule: str = ""  # "" / "always" | "every 6h" | "daily 07:00" | "weekdays 07:00" | "mon 07:00" (UTC)
    min_score: float = 0.0
    min_label: str = "relevant"
    topics: list[str] = Field(default_factory=list)  # empty: the default topic
    formats: list[str] = Field(default_factory=list)  # markdown | html | text; empty: by kind of URL
    alerts: bool = False  # also receives breaking alerts
    nothing_new: bool | None = None  # None: the [digest] nothing_new setting

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, v: str) -> str:
        return check_schedule(v)

    @field_validator("formats")
    @classmethod
    def _formats(cls, v: list[str]) -> list[str]:
        return [check_format(f) for f in v]


class DigestSettings(BaseModel):
    """Digest composition, channels and breaking alerts (``[digest]``)."""

    model_config = ConfigDict(extra="forbid")

    dir: Path = Path("data/digests")
    min_label: str = "relevant"
    max_items: int = 50
    # Only stories updated within this many days are offered (a new channel does not get the whole archive).
    lookback_days: float = 7.0
    # Send an explicit "nothing new" message when a digest run finds nothing.
    nothing_new: bool = False
    # Breaking alerts: stories at or above this score go at once to channels with alerts = true.
    alert_threshold: float = 0.85
    alert_max_per_hour: int = 3
    # Only stories first seen within this many hours can trigger an alert.
    alert_window_h: float = 6.0
    channels: list[ChannelSettings] = Field(default_factory=list)

    @field_validator("channels")
    @classmethod
    def _unique_channels(cls, v: list[ChannelSettings]) -> list[ChannelSettings]:
        names = [c.name for c in v]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"digest channel name(s) {sorted(dup)} used twice; names must be unique")
        return v


