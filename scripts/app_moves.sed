# app/ rooms (issue 10): old module paths -> new. Idempotent; run with `sed -E -i -f` over
# app/, tests/, benchmarks/ and docs. `from app import a, b` lines are fixed by hand.
s/(^|[^.A-Za-z0-9_])app\.main_window\b/\1app.window/g
s/(^|[^.A-Za-z0-9_])app\.window_files\b/\1app.files.actions/g
s/(^|[^.A-Za-z0-9_])app\.autosave_controller\b/\1app.files.autosave/g
s/(^|[^.A-Za-z0-9_])app\.(session_files|recent_files|run_capture|export_dialog|csv_dialog|picture_export)\b/\1app.files.\2/g
s/(^|[^.A-Za-z0-9_])app\.network_canvas\b/\1app.network.canvas/g
s/(^|[^.A-Za-z0-9_])app\.network_view\b/\1app.network.view/g
s/(^|[^.A-Za-z0-9_])app\.network_geometry\b/\1app.network.geometry/g
s/(^|[^.A-Za-z0-9_])app\.network_painter\b/\1app.network.painter/g
s/(^|[^.A-Za-z0-9_])app\.(layer_header|neuron_images|weight_editor)\b/\1app.network.\2/g
s/(^|[^.A-Za-z0-9_])app\.(loss_plot|boundary_view|boundary_points|confusion_view|thumbnails)\b/\1app.plots.\2/g
s/(^|[^.A-Za-z0-9_])app\.(controls_bar|data_panel|output_panel|message_bar|speed_readout|help|guide)\b/\1app.panels.\2/g
s/(^|[^.A-Za-z0-9_])app\.(style|icons|colormaps|widgets|plotting|texts)\b/\1app.look.\2/g
s/^(\s*)from app import (colormaps|texts)$/\1from app.look import \2/
s/^(\s*)from app import neuron_images$/\1from app.network import neuron_images/
s/^(\s*)from app import session_files$/\1from app.files import session_files/
s/^(\s*)from app import colormaps, neuron_images$/\1from app.look import colormaps\n\1from app.network import neuron_images/
