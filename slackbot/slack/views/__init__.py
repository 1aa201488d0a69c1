"""Modal submissions: the start-a-hot-fix form."""
