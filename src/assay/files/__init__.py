"""Reading the files users hand to assay (answers, later specifications), with precise errors."""
