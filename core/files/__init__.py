"""Files on disk: atomic writes, text decoding, checkpoints and autosaves."""
