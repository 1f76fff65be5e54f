"""Exercises: the learner writes each backward pass, and scratchnet grades it.

    python -m scratchnet.exercises                 # the exercises, in order, and your results
    python -m scratchnet.exercises start relu      # writes ./scratchnet-exercises/relu.py
    python -m scratchnet.exercises check relu      # grades it, one line per check

The lesson is the answer key: a file that imports the lesson's own class passes. The
lesson never imports this package. docs/exercises.md is the learner's guide; the
modules here: ``catalogue`` (the exercises in order), ``command`` (the command line),
``grading`` (what every grader shares), ``patterns`` (what a wrong tensor no catalogue
explains looks like), one grader module per kind of exercise, and ``starters/``, the
files ``start`` writes.
"""
