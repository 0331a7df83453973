"""Modal dialogs: the key-binding help and the full-value viewer."""
