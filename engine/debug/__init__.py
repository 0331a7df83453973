"""The debugger core: what the debugger and the CLI show and do, with no UI in it.

Being laid by the time-travel issue. So far: :mod:`engine.debug.diff`, the diff between two
checkpoints' states. To come here: the read model, lineage (parent chain, branches), the rules
for a step's tasks and writes, and the write actions (fork, edit, replay, continue) on a session
with a graph attached.
"""
