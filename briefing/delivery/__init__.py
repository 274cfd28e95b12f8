"""The edition-delivery state machine: claims, outcomes, pacing, throttling, SMTP replies."""
