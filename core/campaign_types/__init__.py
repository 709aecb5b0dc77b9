"""Campaign-type behaviour: one delivery policy per type, looked up in `registry`."""
