"""Client certificates and payload signatures."""
