"""`python -m infra.verify`: see `infra.verify.cli`."""

import sys

from infra.verify.cli import main

sys.exit(main())
