"""Prefect flows.  Module names here must not repeat a top-level package's name (no
``flows/digest.py``): Prefect puts an entrypoint's folder on ``sys.path`` when it loads a
deployment, and such a module would then shadow the package (tests/test_layout.py)."""
