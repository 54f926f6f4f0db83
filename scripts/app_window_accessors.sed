# MainWindow's state moved to window.controller (SessionController) and window.files (FileActions).
# Idempotent: run over tests/ and benchmarks/ with `sed -E -i -f`. `first` is also a Snapshot in
# tests/core/test_training.py, so `first.epoch` is left alone.
s/\b(window|first|second|again|fast|crashed|w|self\.window)\.(open_experiment|save_experiment_as|save_experiment|new_experiment|save_checkpoint|open_checkpoint|resume_checkpoint|export_model|export_picture|export_history|offer_recovery|restore_recovery|capture_run|copy_view|picture_target|document_name|confirm_unsaved|ask_unsaved|recent_menu|recent|autosave|picture_actions|current_path|checkpoint_path|(save|save_as|open|new|export|export_history|copy_view|save_checkpoint)_action)\b/\1.files.\2/g
s/\b(first)\.(spec|dataset|playing|run_state|undo_stack|worker|data_loader|loading|started|play|pause|step|reset|toggle_play|add_layer|remove_layer|load_csv|load_spec|request_change|regenerate|set_learning_rate|set_batch_size|set_regularization_rate|ensure_started)\b/\1.controller.\2/g
s/\b(window|second|again|fast|crashed|w|self\.window)\.(spec|epoch|dataset|playing|run_state|undo_stack|worker|data_loader|loading|started|play|pause|step|reset|toggle_play|add_layer|remove_layer|load_csv|load_spec|request_change|regenerate|set_learning_rate|set_batch_size|set_regularization_rate|ensure_started)\b/\1.controller.\2/g
s/\b(window|first|second|again|fast|crashed|w|self\.window)\._latest\b/\1.frames.latest/g
s/\b(window|first|second|again|fast|crashed|w|self\.window)\._frame_timer\b/\1.frames.timer/g
s/\b(window|first|second|again|fast|crashed|w|self\.window)\.redraw_count\b/\1.frames.redraw_count/g
