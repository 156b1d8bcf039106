"""Files several probes read the same way, parsed once per scan: Kubernetes-style objects in
YAML files and assay specifications."""

from __future__ import annotations

import re

from assay.scan.context import ScanContext

__all__ = ["assay_specs", "kubernetes_objects", "objects_of"]

_DOCUMENT = re.compile(r"(?m)^---[ \t]*$")
_KIND = re.compile(r"(?m)^kind:\s*([A-Za-z]+)\s*$")
_API = re.compile(r"(?m)^apiVersion:\s*(\S+)")


def kubernetes_objects(ctx: ScanContext) -> list[tuple[str, int, str, str]]:
    """(path, line of ``kind:``, apiVersion, kind) of every Kubernetes-style object in the
    YAML files outside ``.github/``; each document of a multi-document file has its own."""
    return ctx.memo("kubernetes", lambda: _read_kubernetes_objects(ctx))


def _read_kubernetes_objects(ctx: ScanContext) -> list[tuple[str, int, str, str]]:
    objects = []
    for path in ctx.with_suffix(".yml", ".yaml"):
        if path.startswith(".github/"):
            continue
        text = ctx.text(path) or ""
        if "apiVersion:" not in text or "kind:" not in text:
            continue
        starts = [0, *(m.end() for m in _DOCUMENT.finditer(text))]
        ends = [*(m.start() for m in _DOCUMENT.finditer(text)), len(text)]
        for start, end in zip(starts, ends, strict=True):
            kind = _KIND.search(text, start, end)
            if kind is None:
                continue
            api = _API.search(text, start, end)
            line = text.count("\n", 0, kind.start()) + 1
            objects.append((path, line, api.group(1) if api else "", kind.group(1)))
    return objects


def objects_of(ctx: ScanContext, kind: str, group: str) -> list[tuple[str, int]]:
    """(path, line) of the objects of ``kind`` whose apiVersion names ``group``."""
    return [(p, line) for p, line, api, k in kubernetes_objects(ctx) if k == kind and group in api]


def assay_specs(ctx: ScanContext) -> list[tuple[str, str]]:
    """(path, text) of the assay specifications in the repository."""

    def read() -> list[tuple[str, str]]:
        specs = []
        for path in ctx.with_suffix(".yml", ".yaml"):
            text = ctx.text(path) or ""
            if "dimensions:" in text and "measurements:" in text and "requirements:" in text:
                specs.append((path, text))
        return specs

    return ctx.memo("assay-specs", read)
