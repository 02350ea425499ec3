"""`python -m infra.outputs schema|validate|summary|overview`: see `infra.outputs.cli`."""

import sys

from infra.outputs.cli import main

sys.exit(main())
