"""retrace's graph engine: LangGraph's API shape on an embedded async super-step runtime.

Import what you need from its modules, as with LangGraph: ``engine.graph``, ``engine.types``,
``engine.errors``, ``engine.checkpoint.memory``, ``engine.checkpoint.sqlite``.
"""
