"""``python -m mms_client.cli``: the ``mms`` command without its console script."""

from mms_client.cli import main

main()
