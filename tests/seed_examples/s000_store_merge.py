# ruff: noqa: I001, F841  (the seed's code as written: its import order, its unused names)
# Seed 000 "Concurrent State Access", section "Optimistic concurrency for Memory Store".
# Changes: `langgraph` -> `engine` in the imports; a print of the stored value added at the end
# (the seed states it in a comment).
from engine.store.memory import InMemoryStore

store = InMemoryStore()

def update_user_preference_safely(store, user_id, key, new_value):
    """Update a preference with read-modify-write safety."""
    namespace = (user_id, "preferences")
    
    # Read current value
    items = store.search(namespace)
    existing = {item.key: item for item in items}
    
    if key in existing:
        current_item = existing[key]
        # Merge instead of overwrite
        merged_value = {**current_item.value, **new_value}
        store.put(namespace, key, merged_value)
    else:
        store.put(namespace, key, new_value)

# Two nodes updating the same user's preferences
update_user_preference_safely(
    store, "alice", "settings",
    {"theme": "dark"}
)

update_user_preference_safely(
    store, "alice", "settings",
    {"language": "python"}
)

# Result: {"theme": "dark", "language": "python"} — both preserved
print(store.get(("alice", "preferences"), "settings").value)  # added
