"""The debugger's panes and the pieces they are made of."""
