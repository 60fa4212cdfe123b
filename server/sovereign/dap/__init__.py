"""`sovereign dap`: the Debug Adapter Protocol over stdio, a thin face over `debug/`.

`wire.py` reads and writes the framed JSON, `messages.py` types what goes in and out,
`adapter.py` answers each request from a debug session, with `launching.py` (the program and
its limits), `exceptions.py` (which errors stop), `variables.py` (values as the Variables view
shows them) and `llm.py` (answers for LLM instructions); `main.py` runs the loop.
"""
