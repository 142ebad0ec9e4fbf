"""The bytes on the wire: MTOM framing (:mod:`.mime`) and SOAP envelopes (:mod:`.soap`)."""
