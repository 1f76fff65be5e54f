"""The doors: every check, message and warning of the lesson, apart from its math.

A room calls its door once per public entry; the door returns what it was given, checked
and converted, or raises a sentence naming the argument at fault and what was expected.
``values`` and ``state`` serve every door; each ``for_<room>`` guards one room.
"""
