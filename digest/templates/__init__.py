"""Jinja2 templates of the digest (a package so the *.j2 files ship in the wheel); no code."""

__all__: list[str] = []
