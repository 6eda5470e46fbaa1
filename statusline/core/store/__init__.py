"""Where state lives: the directories (paths) and the snapshot file with its history, under a lock."""
