"""The window's side of kept runs and sweeps: the keeper that records runs as they end
(keeper.py), the run list (run_list_view.py), the sweep dialog (sweep_dialog.py)."""
