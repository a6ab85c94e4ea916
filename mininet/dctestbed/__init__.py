"""dctestbed: the Mininet testbed for xdctcp, tdctcp and the kernel's dctcp,
cubic and reno.  Data flows one way: topology -> port configuration ->
traffic -> monitors -> raw files -> analysis -> report.

Import it with mininet/ on sys.path (PYTHONPATH=mininet); the top-level
mininet/ folder is deliberately not a package, so `import mininet` still
finds Mininet itself."""
