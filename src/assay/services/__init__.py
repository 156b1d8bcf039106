"""Use cases that combine the domain packages and the adapters (DESIGN.md, "Layout"); the
interfaces (``cli``, ``server``) call these and render what they return."""
