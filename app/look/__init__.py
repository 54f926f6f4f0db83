"""The look shared by every view: style sheet, icons, colour maps, widget helpers, pyqtgraph set-up, words."""
