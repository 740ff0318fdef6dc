"""What is new per channel, ranked, rendered (text, Markdown, HTML with an inline chart) and
delivered (files, Apprise), recorded exactly once; breaking alerts with their rate limit;
and the ``[digest]`` settings section (``DigestSettings``).

May import: ``core`` and ``store`` (the digest queries and bookkeeping).  Runs no flows: a
digest run is a plain call (``run_configured_digest``) that flows/ and the CLI wrap.  The
names below are imported on first use (core/lazy.py): ``import digest`` loads no duckdb.
"""

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

if TYPE_CHECKING:
    from digest.channels import Channel, check_format
    from digest.run import (
        DeliveryResult,
        DigestOptions,
        channels_from_settings,
        run_alerts,
        run_configured_digest,
        run_digest,
    )
    from digest.settings import ChannelSettings, DigestSettings

__all__ = [
    "Channel",
    "ChannelSettings",
    "DeliveryResult",
    "DigestOptions",
    "DigestSettings",
    "channels_from_settings",
    "check_format",
    "run_alerts",
    "run_configured_digest",
    "run_digest",
]

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(__name__, __file__)
