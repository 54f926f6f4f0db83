"""Files: the File menu (actions), experiment and checkpoint files, recent files, autosave, exports."""
