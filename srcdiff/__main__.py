"""``python -m srcdiff`` is the ``srcdiff`` command."""
from srcdiff.cli import main

raise SystemExit(main())
