"""The doors: every check, message and warning of the lesson, apart from its math.

A room of the lesson (``layers``, ``losses``, ``optimizers``, ``training``,
``serialization``) calls its door once per public entry, and the door either returns
what it was given, checked and converted, or raises a sentence that names the argument
at fault and what was expected. ``values`` holds the numbers and arrays every door
shares, and ``state`` what a saved state must fit; ``for_modules`` (every module's
front door), ``for_layers``, ``for_losses``, ``for_optimizers``, ``for_training``,
``for_saving`` and ``for_gradcheck`` guard one room each.
"""
