"""Domain package (no I/O); its capability arrives in a later release."""
