"""The established client's ``mms_client.types`` import paths, kept so its users can switch
without edits; the models themselves are generated from the official schemas."""
