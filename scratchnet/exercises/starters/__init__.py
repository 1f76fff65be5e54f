"""The starter files that ``python -m scratchnet.exercises start NAME`` copies, one per
exercise. Templates for the learner's folder: never imported from here (``network.py``
imports the learner's own ``linear.py`` and the others from beside it)."""
