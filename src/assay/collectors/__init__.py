"""Assessment interfaces: collectors that fetch a measurement's value from files, commands,
HTTP endpoints and databases. One module each, one registry (:data:`COLLECTORS`)."""

from assay.collectors.base import (
    COLLECTORS,
    CollectContext,
    CollectionError,
    Collector,
    interface_problem,
    parse_interface,
)

__all__ = [
    "COLLECTORS",
    "CollectContext",
    "CollectionError",
    "Collector",
    "interface_problem",
    "parse_interface",
]
