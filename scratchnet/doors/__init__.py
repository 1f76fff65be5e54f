"""The doors: every check, message and warning that guards the lesson's rooms."""
