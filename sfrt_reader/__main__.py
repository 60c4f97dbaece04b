"""`python -m sfrt_reader` is the same as the `sfrt-reader` command."""

import sys

from sfrt_reader.cli import main

sys.exit(main())
