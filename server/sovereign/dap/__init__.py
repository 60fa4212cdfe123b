"""`sovereign dap`: the Debug Adapter Protocol over stdio, a thin face over `debug/`.

`wire.py` reads and writes the framed JSON, `messages.py` types what goes in and out,
`adapter.py` answers each request from a debug session, and `main.py` runs the loop.
"""
