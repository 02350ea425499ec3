"""`python -m infra.render --stack STACK --out DIR`: runs `infra.render.cli.main` (see there)."""

import gc
import sys

from infra.render.cli import main

# A one-shot process: the program imports thousands of SDK classes and churns through tens of thousands of
# short-lived asyncio handles and Outputs, and every allocation-triggered collection re-scans the whole heap
# of SDK classes. That cyclic GC was about a quarter of the prod render's wall time while reclaiming next to
# nothing (peak RSS is the same within a few MB), so the CLI turns it off; `main()` called in-process (tests,
# bench) keeps the caller's GC settings. `freeze` first, so anything already allocated is never scanned.
gc.freeze()
gc.disable()
sys.exit(main())
