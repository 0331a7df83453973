"""Full-screen views: the debugger itself and the screen shown when a database cannot open."""
