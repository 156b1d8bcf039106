"""The guided demo (``assay demo``, ``make demo``) and the data it generates."""
