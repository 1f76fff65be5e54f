"""The commands beside the lesson: `python -m scratchnet.gradcheck` lives here."""
