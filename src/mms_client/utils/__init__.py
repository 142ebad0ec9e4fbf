"""The established client's ``mms_client.utils`` import paths, kept so its users can switch
without edits; everything here is re-exported from where it lives now."""
