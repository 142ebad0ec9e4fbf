"""Speed benchmarks of mms_client against floors built from the libraries it uses.

Run ``python -m benchmarks`` from the repository root (``--help`` for the options); what each
case measures and the latest figures are in docs/benchmarks.md.
"""
