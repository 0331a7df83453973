# ruff: noqa: I001, F841  (the seed's code as written: its import order, its unused names)
# Seed 000 "Concurrent State Access", section "Version-based optimistic concurrency".
# Changes: the seed's `store` comes from the section before it; here it is made the same way
# (`InMemoryStore()`, `langgraph` -> `engine` in the import). A print of the stored item added
# at the end.
from engine.store.memory import InMemoryStore

store = InMemoryStore()  # added (the previous section's store)

class VersionedStore:
    """Memory store wrapper with version-based optimistic concurrency."""
    
    def __init__(self, store):
        self.store = store
    
    def read(self, namespace, key):
        """Read value and its version."""
        items = self.store.search(namespace)
        for item in items:
            if item.key == key:
                version = item.value.get("_version", 0)
                return item.value, version
        return None, 0
    
    def write(self, namespace, key, value, expected_version):
        """Write only if current version matches expected."""
        current_value, current_version = self.read(namespace, key)
        
        if current_version != expected_version:
            raise ConflictError(
                f"Version conflict: expected {expected_version}, "
                f"found {current_version}"
            )
        
        value_with_version = {**value, "_version": current_version + 1}
        self.store.put(namespace, key, value_with_version)
        return current_version + 1

class ConflictError(Exception):
    pass

# Usage
versioned = VersionedStore(store)

# Read current state
data, version = versioned.read(("alice", "profile"), "settings")

# Modify and write — fails if someone else changed it
try:
    versioned.write(
        ("alice", "profile"), "settings",
        {"theme": "dark"},
        expected_version=version
    )
except ConflictError:
    # Re-read and retry
    data, version = versioned.read(("alice", "profile"), "settings")
    versioned.write(
        ("alice", "profile"), "settings",
        {**data, "theme": "dark"},
        expected_version=version
    )

print(store.get(("alice", "profile"), "settings").value)  # added
