"""``python -m assay`` runs the CLI."""

import sys

from assay.cli.app import main

sys.exit(main())
